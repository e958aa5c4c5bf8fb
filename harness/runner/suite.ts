import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureStandinNodeImage } from '../cluster/standin-image.ts';
import { withNodeImage, type KubernetesVersion } from '../cluster/versions.ts';
import { RESULTS_SCHEMA_VERSION, type Depth, type RunResults, type VersionResult } from '../results/model.ts';
import type { PluginSpec, Scenario } from '../scenario/types.ts';
import { withRerunCommands } from '../results/rerun.ts';
import { runAtClusterDepth } from './cluster-depth.ts';
import { runAtPluginDepth } from './plugin-depth.ts';

/** One run: the chosen scenarios at one depth, for each requested Kubernetes version in turn. */

export class ScenarioSelectionError extends Error {
  readonly unknown: readonly string[];
  constructor(unknown: readonly string[], known: readonly string[]) {
    super(`unknown scenario(s) ${unknown.join(', ')}: the scenarios of this run are ${known.join(', ')}`);
    this.name = 'ScenarioSelectionError';
    this.unknown = unknown;
  }
}

export function selectScenarios(all: readonly Scenario[], names: readonly string[] | undefined): Scenario[] {
  if (!names || names.length === 0) return [...all];
  const known = all.map((s) => s.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new ScenarioSelectionError(unknown, known);
  return all.filter((s) => names.includes(s.name));
}

export interface SuiteOptions {
  readonly depth: Depth;
  readonly versions: readonly KubernetesVersion[];
  readonly scenarios: readonly Scenario[];
  readonly runId: string;
  readonly artifactsDir: string;
  readonly parallel?: number;
  readonly reuse?: boolean;
  readonly keep?: boolean;
  readonly podTimeoutMs?: number;
  readonly shard?: { readonly index: number; readonly total: number };
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  /** Another credential provider plugin for every scenario (`--plugin [--plugin-config]`). */
  readonly plugin?: PluginSpec;
  /** A node image the user chose: at node depth it replaces the locally built stand-in. */
  readonly nodeImage?: string;
  /** The node image's own release when the version was read from it (--node-image alone). */
  readonly release?: string;
  /** Scenario name → file it came from (built-in scenarios have none). */
  readonly sources?: ReadonlyMap<string, string>;
  /** Scenario files that could not be loaded (reported, never fatal for the others). */
  readonly scenarioErrors?: readonly { readonly file: string; readonly message: string }[];
  /** Shown in rerun commands: the plugin and its entry file as the user named them. */
  readonly pluginArgs?: { readonly plugin: string; readonly pluginConfig?: string };
}

export async function runSuite(options: SuiteOptions): Promise<RunResults> {
  const startedAt = new Date().toISOString();
  const versions: VersionResult[] = [];
  await mkdir(options.artifactsDir, { recursive: true });
  for (const kubernetes of options.versions) {
    options.signal?.throwIfAborted();
    const auditFile = join(options.artifactsDir, `audit-${kubernetes.minor}-${options.depth}.jsonl`);
    if (options.depth === 'plugin') {
      versions.push(await runAtPluginDepth({ scenarios: options.scenarios, kubernetes, runId: options.runId, auditFile, parallel: options.parallel, signal: options.signal, log: options.log, plugin: options.plugin }));
    } else {
      // Node depth is the cluster runner on a stand-in cluster: only the node image differs.
      const chosen = options.nodeImage ?? (options.depth === 'node' ? await ensureStandinNodeImage({ ...(options.signal ? { signal: options.signal } : {}), ...(options.log ? { log: options.log } : {}) }) : undefined);
      const version = withNodeImage(kubernetes, chosen);
      versions.push(
        await runAtClusterDepth({
          scenarios: options.scenarios,
          kubernetes: version,
          runId: options.runId,
          workRoot: join('.cache', 'clusters'),
          artifactsDir: options.artifactsDir,
          auditFile,
          ...(options.parallel ? { parallel: options.parallel } : {}),
          ...(options.reuse ? { reuse: true } : {}),
          ...(options.keep ? { keep: true } : {}),
          ...(options.podTimeoutMs ? { podTimeoutMs: options.podTimeoutMs } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.log ? { log: options.log } : {}),
          plugin: options.plugin,
          release: options.release,
        }),
      );
    }
  }
  const sources = options.sources ?? new Map<string, string>();
  const results: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: options.runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    ...(options.shard ? { shard: options.shard } : {}),
    versions: versions.map((v) => ({ ...v, scenarios: v.scenarios.map((s) => (sources.has(s.name) ? { ...s, source: sources.get(s.name) } : s)) })),
    ...(options.scenarioErrors?.length ? { scenarioErrors: options.scenarioErrors } : {}),
  };
  return withRerunCommands(results, {
    sources,
    nodeImage: options.nodeImage,
    versionFromImage: options.release !== undefined,
    plugin: options.pluginArgs?.plugin,
    pluginConfig: options.pluginArgs?.pluginConfig,
  });
}
