import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureStandinNodeImage } from '../cluster/standin-image.ts';
import { withNodeImage, type KubernetesVersion } from '../cluster/versions.ts';
import { RESULTS_SCHEMA_VERSION, type Depth, type RunResults, type VersionResult } from '../results/model.ts';
import type { Scenario } from '../scenario/types.ts';
import { runAtClusterDepth } from './cluster-depth.ts';
import { runAtPluginDepth } from './plugin-depth.ts';

/** One run: the chosen scenarios at one depth, for each requested Kubernetes version in turn. */

export class ScenarioSelectionError extends Error {
  readonly unknown: readonly string[];
  constructor(unknown: readonly string[], known: readonly string[]) {
    super(`unknown scenario(s) ${unknown.join(', ')}: the built-in scenarios are ${known.join(', ')}`);
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
}

export async function runSuite(options: SuiteOptions): Promise<RunResults> {
  const startedAt = new Date().toISOString();
  const versions: VersionResult[] = [];
  await mkdir(options.artifactsDir, { recursive: true });
  for (const kubernetes of options.versions) {
    options.signal?.throwIfAborted();
    const auditFile = join(options.artifactsDir, `audit-${kubernetes.minor}-${options.depth}.jsonl`);
    if (options.depth === 'plugin') {
      versions.push(await runAtPluginDepth({ scenarios: options.scenarios, kubernetes, runId: options.runId, auditFile, ...(options.parallel ? { parallel: options.parallel } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.log ? { log: options.log } : {}) }));
    } else {
      // Node depth is the cluster runner on a stand-in cluster: only the node image differs.
      const version = options.depth === 'node' ? withNodeImage(kubernetes, await ensureStandinNodeImage({ ...(options.signal ? { signal: options.signal } : {}), ...(options.log ? { log: options.log } : {}) })) : kubernetes;
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
        }),
      );
    }
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: options.runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    ...(options.shard ? { shard: options.shard } : {}),
    versions,
  };
}
