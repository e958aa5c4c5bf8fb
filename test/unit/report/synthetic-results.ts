import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PodResult, RunResults } from '../../../harness/results/model.ts';
import { parseResults } from '../../../harness/results/results-file.ts';

/**
 * Synthetic results in fixtures/results/synthetic/: written by hand to exercise the report, merge and
 * redaction code (one unsharded "run" and six "shards" of it), never produced by a run. See
 * fixtures/results/synthetic/README.md for what in them is not realistic. Results that a run did
 * produce are in fixtures/results/recorded/ (scripts/make-fixtures.ts).
 */
export const RESULTS_FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'results', 'synthetic');

export function loadSynthetic(name: string): RunResults {
  const file = join(RESULTS_FIXTURES, name);
  return parseResults(readFileSync(file, 'utf8'), file);
}

export const singleRun = (): RunResults => loadSynthetic('single-run.json');

export const shardFiles = (): string[] =>
  readdirSync(RESULTS_FIXTURES)
    .filter((f) => f.startsWith('shard-'))
    .sort();

export function allPods(results: RunResults): PodResult[] {
  return results.versions.flatMap((v) => v.scenarios.flatMap((s) => s.pods));
}

/** A copy of the results with one pod changed (found by Kubernetes minor, depth and pod name). */
export function withPod(results: RunResults, kubernetes: string, pod: string, change: (p: PodResult) => PodResult): RunResults {
  return {
    ...results,
    versions: results.versions.map((v) =>
      v.kubernetes !== kubernetes || v.depth !== 'cluster'
        ? v
        : { ...v, scenarios: v.scenarios.map((s) => ({ ...s, pods: s.pods.map((p) => (p.pod === pod ? change(p) : p)) })) },
    ),
  };
}
