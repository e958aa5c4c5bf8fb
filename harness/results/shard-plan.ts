import type { RunResults } from './model.ts';

/**
 * How a run is split into CI shards (the GitHub Actions matrix `pullproof matrix` prints) before
 * `mergeResults` puts it back together. Pure: scenario names, costs and versions in, matrix out.
 *
 * Each Kubernetes minor is its own cluster, so each minor is sharded on its own: shard i of minor
 * v runs one kind cluster with the scenarios listed. Scenarios are balanced by estimated cost with
 * the longest-processing-time rule (largest first onto the least loaded shard), which is within
 * 4/3 of the best split and deterministic for a given input.
 */

export interface MatrixEntry {
  /** Kubernetes minor, e.g. "1.34"; the workflow passes it to `make e2e K8S=…`. */
  readonly k8s: string;
  /** 1-based shard index within this minor. */
  readonly shard: number;
  /** Shards of this minor (may be fewer than asked when there are fewer scenarios). */
  readonly shards: number;
  /** Comma-separated scenario names; never empty (an empty list must never mean "all"). */
  readonly scenarios: string;
}

export interface Matrix {
  readonly include: readonly MatrixEntry[];
}

export class MatrixPlanError extends Error {
  readonly field: string;
  readonly value: string;
  constructor(field: string, value: string, problem: string) {
    super(`${field} ${JSON.stringify(value)} ${problem}`);
    this.name = 'MatrixPlanError';
    this.field = field;
    this.value = value;
  }
}

/** Cost of a scenario nobody has measured yet: about one pod-pull cycle on a warm cluster. */
export const DEFAULT_SCENARIO_COST_MS = 60_000;
/** GitHub Actions rejects a matrix that expands to more jobs than this. */
export const GITHUB_MATRIX_LIMIT = 256;

/**
 * Per-scenario cost estimate (ms): the mean recorded duration over every version of a previous
 * run when one is given, else the median of the known costs, else DEFAULT_SCENARIO_COST_MS.
 */
export function estimateCosts(scenarios: readonly string[], history?: RunResults): ReadonlyMap<string, number> {
  const samples = new Map<string, number[]>();
  for (const version of history?.versions ?? []) {
    for (const scenario of version.scenarios) samples.set(scenario.name, [...(samples.get(scenario.name) ?? []), scenario.durationMs]);
  }
  const known = [...samples.values()].map((d) => d.reduce((a, b) => a + b, 0) / d.length).sort((a, b) => a - b);
  const fallback = known.length ? (known[Math.floor(known.length / 2)] ?? DEFAULT_SCENARIO_COST_MS) : DEFAULT_SCENARIO_COST_MS;
  return new Map(
    scenarios.map((name) => {
      const d = samples.get(name);
      return [name, d ? d.reduce((a, b) => a + b, 0) / d.length : fallback];
    }),
  );
}

/** Splits scenarios into at most `shards` non-empty groups of balanced total cost. */
export function balanceShards(scenarios: readonly string[], shards: number, costs: ReadonlyMap<string, number>): string[][] {
  const count = Math.min(shards, scenarios.length);
  const bins = Array.from({ length: count }, () => ({ load: 0, names: [] as string[] }));
  const ordered = [...new Set(scenarios)].sort((a, b) => (costs.get(b) ?? 0) - (costs.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of ordered) {
    // Least loaded bin; ties go to the lowest index so the plan is stable.
    const bin = bins.reduce((best, candidate) => (candidate.load < best.load ? candidate : best));
    bin.load += costs.get(name) ?? 0;
    bin.names.push(name);
  }
  return bins.map((bin) => bin.names.sort());
}

export interface MatrixRequest {
  readonly versions: readonly string[];
  readonly scenarios: readonly string[];
  readonly shards: number;
  readonly costs?: ReadonlyMap<string, number>;
}

const SCENARIO_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export function planMatrix(request: MatrixRequest): Matrix {
  if (!Number.isInteger(request.shards) || request.shards < 1) throw new MatrixPlanError('--shards', String(request.shards), 'is not a whole number >= 1');
  if (request.versions.length === 0) throw new MatrixPlanError('--k8s', '', 'names no Kubernetes version: pass e.g. --k8s 1.34,1.35');
  if (request.scenarios.length === 0) {
    throw new MatrixPlanError('--scenarios', '', 'names no scenario: add scenario files under scenarios/ or pass --scenarios a,b');
  }
  for (const name of request.scenarios) {
    // Names travel through a comma-separated env var into shell steps: keep them to a safe alphabet.
    if (!SCENARIO_NAME.test(name)) throw new MatrixPlanError('scenario name', name, 'must be lower-case letters, digits, ".", "_" or "-" (it is passed through PULLPROOF_SCENARIOS)');
  }
  const costs = request.costs ?? estimateCosts(request.scenarios);
  const groups = balanceShards(request.scenarios, request.shards, costs);
  const include = [...new Set(request.versions)].flatMap((k8s) =>
    groups.map((names, i) => ({ k8s, shard: i + 1, shards: groups.length, scenarios: names.join(',') })),
  );
  if (include.length > GITHUB_MATRIX_LIMIT) {
    throw new MatrixPlanError('--shards', String(request.shards), `with ${request.versions.length} versions makes ${include.length} jobs; GitHub Actions allows ${GITHUB_MATRIX_LIMIT}`);
  }
  return { include };
}
