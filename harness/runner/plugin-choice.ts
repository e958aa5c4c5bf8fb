import { access, chmod, constants, copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { CredentialProviderSpec } from '../cluster/credential-provider-config.ts';
import type { PluginEntry, PluginSpec } from '../scenario/types.ts';
import type { ScenarioInstance } from './instantiate.ts';

/**
 * Bring your own plugin (DESIGN.md decision 9): another credential provider plugin runs the scenarios
 * instead of ours, at every depth. The scenario keeps what it is about — the provider's name,
 * `matchImages` and `tokenAttributes` (audience, cache type, required annotations) — and the
 * plugin brings its own `args`, `env`, `defaultCacheDuration` and `apiVersion`. Expectations are
 * about pods, so they hold for any plugin whose credentials our registry can judge: one that passes
 * the service-account token through, or one that trades it at our token service's exchange endpoint.
 */

export class PluginChoiceError extends Error {
  readonly source: string;
  constructor(source: string, problem: string) {
    super(`plugin ${source}: ${problem}`);
    this.name = 'PluginChoiceError';
    this.source = source;
  }
}

export interface PluginChoice {
  /** Absolute path of the executable on the host; copied under each scenario's provider name. */
  readonly executable: string;
  readonly entry: PluginEntry;
}

const ENTRY_KEYS = ['apiVersion', 'args', 'env', 'defaultCacheDuration'] as const;
const SCENARIO_KEYS = ['name', 'matchImages', 'tokenAttributes'];

/**
 * Without an entry the plugin is told the scenario through pullproof's own variable names (a plugin
 * reading PULLPROOF_MODE and PULLPROOF_EXCHANGE_URL needs no config file).
 */
export const DEFAULT_PLUGIN_ENTRY: PluginEntry = {
  env: [
    { name: 'PULLPROOF_MODE', value: '{mode}' },
    { name: 'PULLPROOF_EXCHANGE_URL', value: '{exchangeUrl}' },
    { name: 'PULLPROOF_ROLE_ANNOTATION', value: '{roleAnnotation}' },
  ],
};

/** A provider entry YAML: only the plugin's own fields; the scenario's fields are refused by name. */
export function parsePluginEntry(text: string, source: string): PluginEntry {
  const data: unknown = parse(text);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new PluginChoiceError(source, 'must be a YAML map with args, env, defaultCacheDuration or apiVersion');
  for (const key of Object.keys(data)) {
    if (SCENARIO_KEYS.includes(key)) throw new PluginChoiceError(source, `${key}: set by each scenario (its provider name, images and token attributes); leave it out`);
    if (!(ENTRY_KEYS as readonly string[]).includes(key)) throw new PluginChoiceError(source, `${key}: unknown field (known: ${ENTRY_KEYS.join(', ')})`);
  }
  const entry = data as Record<string, unknown>;
  if (entry.args !== undefined && !(Array.isArray(entry.args) && entry.args.every((a) => typeof a === 'string'))) throw new PluginChoiceError(source, 'args: must be a list of strings');
  if (entry.env !== undefined && !(Array.isArray(entry.env) && entry.env.every((e) => typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' && typeof (e as { value?: unknown }).value === 'string'))) {
    throw new PluginChoiceError(source, 'env: must be a list of { name, value } strings');
  }
  return entry;
}

export async function resolvePlugin(spec: PluginSpec, cwd = process.cwd()): Promise<PluginChoice> {
  const executable = resolve(cwd, spec.executable);
  try {
    await access(executable, constants.X_OK);
  } catch {
    throw new PluginChoiceError(spec.executable, `is not an executable file (${executable}): chmod +x it, or give its path`);
  }
  if (spec.entry === undefined) return { executable, entry: DEFAULT_PLUGIN_ENTRY };
  if (typeof spec.entry !== 'string') return { executable, entry: spec.entry };
  const file = resolve(cwd, spec.entry);
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new PluginChoiceError(spec.entry as string, `provider entry cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  });
  return { executable, entry: parsePluginEntry(text, spec.entry) };
}

/** `{mode}` etc. in an entry's strings, from the scenario; entries left empty are dropped. Pure. */
export function pluginProvider(base: CredentialProviderSpec, instance: ScenarioInstance, entry: PluginEntry, exchangeUrl: string): CredentialProviderSpec {
  const values: Record<string, string> = {
    mode: instance.scenario.provider.mode,
    exchangeUrl: instance.scenario.provider.mode === 'exchange' ? exchangeUrl : '',
    roleAnnotation: instance.scenario.provider.roleAnnotation ?? '',
    audience: instance.providerAudience,
  };
  const fill = (text: string): string => text.replace(/\{(mode|exchangeUrl|roleAnnotation|audience)\}/g, (_, key: string) => values[key] ?? '');
  const env = (entry.env ?? []).map((e) => ({ name: e.name, value: fill(e.value) })).filter((e) => e.value !== '');
  return {
    name: base.name,
    matchImages: base.matchImages,
    defaultCacheDuration: entry.defaultCacheDuration ?? base.defaultCacheDuration,
    ...(entry.apiVersion ? { apiVersion: entry.apiVersion } : {}),
    ...(entry.args ? { args: entry.args.map(fill) } : {}),
    ...(env.length ? { env } : {}),
    ...(base.tokenAttributes ? { tokenAttributes: base.tokenAttributes } : {}),
  };
}

/** The instance with the chosen plugin's provider entry (unchanged when it runs ours). */
export function withPlugin(instance: ScenarioInstance, choice: PluginChoice | undefined, exchangeUrl: string): ScenarioInstance & { readonly plugin?: PluginChoice } {
  return choice ? { ...instance, provider: pluginProvider(instance.provider, instance, choice.entry, exchangeUrl), plugin: choice } : instance;
}

/** Puts each foreign plugin into kubelet's bin dir under its provider's name (kubelet execs `<binDir>/<name>`). */
export async function installPlugins(binDir: string, instances: readonly (ScenarioInstance & { readonly plugin?: PluginChoice })[]): Promise<void> {
  await mkdir(binDir, { recursive: true });
  for (const instance of instances) {
    if (!instance.plugin) continue;
    const target = join(binDir, instance.provider.name);
    await copyFile(instance.plugin.executable, target);
    await chmod(target, 0o755);
  }
}
