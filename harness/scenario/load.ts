import { readdir, stat } from 'node:fs/promises';
import module from 'node:module';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineScenario } from './define.ts';
import type { Scenario } from './types.ts';

/**
 * Scenario files from anywhere: `pullproof run ./repro/my-regression.ts ./more/`. Each `.ts` or `.js`
 * file's default export is one scenario (or a list); a file that cannot be loaded is reported with
 * its path and the field at fault, and never stops the others.
 */

export interface LoadedScenario {
  readonly scenario: Scenario;
  /** The file as the user would name it again (relative to the working directory when inside it). */
  readonly source: string;
}

export interface ScenarioFileError {
  readonly file: string;
  readonly message: string;
}

export interface LoadResult {
  readonly scenarios: readonly LoadedScenario[];
  readonly errors: readonly ScenarioFileError[];
}

const SCENARIO_FILE = /\.(ts|js|mjs|mts)$/;
const NOT_SCENARIOS = /\.(d|test|spec)\.[mc]?[jt]s$/;
const PUBLIC_ENTRY = new URL('./public.ts', import.meta.url).href;

let hooked = false;
/**
 * `import … from 'pullproof'` in a scenario file resolves to this pullproof, whatever is (not)
 * installed next to the file: one defineScenario, one set of types, no `npm install` in a repro repo.
 */
function resolvePullproofToSelf(): void {
  if (hooked) return;
  hooked = true;
  module.registerHooks({
    resolve: (specifier, context, next) => (specifier === 'pullproof' ? { url: PUBLIC_ENTRY, shortCircuit: true } : next(specifier, context)),
  });
}

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const files = await Promise.all(
    entries
      .filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => (e.isDirectory() ? filesUnder(join(path, e.name)) : Promise.resolve(SCENARIO_FILE.test(e.name) && !NOT_SCENARIOS.test(e.name) ? [join(path, e.name)] : []))),
  );
  return files.flat().sort();
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? (rel.startsWith('.') ? rel : `./${rel}`) : file;
}

/** A relative plugin path in a scenario names a file next to the scenario, not next to the shell. */
function anchorPlugin(scenario: Scenario, file: string): Scenario {
  if (!scenario.plugin) return scenario;
  const base = dirname(file);
  const entry = typeof scenario.plugin.entry === 'string' ? resolve(base, scenario.plugin.entry) : scenario.plugin.entry;
  return { ...scenario, plugin: { executable: resolve(base, scenario.plugin.executable), ...(entry !== undefined ? { entry } : {}) } };
}

async function loadFile(file: string): Promise<Scenario[]> {
  const loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  const exported = loaded.default;
  if (exported === undefined) throw new Error('has no default export: end it with `export default defineScenario({ … })`');
  const list = Array.isArray(exported) ? (exported as unknown[]) : [exported];
  // defineScenario again: a plain object exported without it is checked the same way, field by field.
  return list.map((item) => anchorPlugin(defineScenario(item as Parameters<typeof defineScenario>[0]), file));
}

export async function loadScenarioFiles(paths: readonly string[], cwd = process.cwd()): Promise<LoadResult> {
  resolvePullproofToSelf();
  const scenarios: LoadedScenario[] = [];
  const errors: ScenarioFileError[] = [];
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    let files: string[];
    try {
      files = await filesUnder(absolute);
    } catch (error) {
      errors.push({ file: path, message: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
      continue;
    }
    if (files.length === 0) errors.push({ file: path, message: 'holds no .ts or .js scenario file' });
    for (const file of files) {
      const shown = displayPath(file, cwd);
      if (!SCENARIO_FILE.test(extname(file) ? file : `${file}.ts`)) {
        errors.push({ file: shown, message: 'is not a .ts or .js file' });
        continue;
      }
      try {
        for (const scenario of await loadFile(file)) {
          const clash = scenarios.find((s) => s.scenario.name === scenario.name);
          if (clash) errors.push({ file: shown, message: `scenario "${scenario.name}" is also defined in ${clash.source}: names must be unique (they name namespaces)` });
          else scenarios.push({ scenario, source: shown });
        }
      } catch (error) {
        errors.push({ file: shown, message: error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error) });
      }
    }
  }
  return { scenarios, errors };
}
