import { isDeepStrictEqual } from 'node:util';
import { RESULTS_SCHEMA_VERSION, type Depth, type RunResults, type ScenarioResult, type VersionResult } from './model.ts';

/**
 * Merging CI shards back into one run. Shards split a run by (Kubernetes version, scenario), so
 * the merge is a union keyed by (version, depth, scenario) followed by one canonical order:
 * versions by minor then depth (cluster, node, plugin), scenarios by name. That makes the merge
 * associative and commutative, idempotent on repeated input, and equal to `canonicalOrder` of the
 * unsharded run. The same scenario at the same version and depth in two inputs must be identical
 * (a re-uploaded artifact) — anything else is a conflict, never silently one of the two.
 */

export class ResultsMergeError extends Error {
  /** What clashed, e.g. `scenario cached-image-reverify at 1.34/cluster`. */
  readonly subject: string;
  readonly sources: readonly string[];
  constructor(subject: string, problem: string, sources: readonly string[]) {
    super(`cannot merge ${subject}: ${problem} (inputs: ${sources.join(', ')}); merge only shards of one run, or remove the stale results.json`);
    this.name = 'ResultsMergeError';
    this.subject = subject;
    this.sources = sources;
  }
}

const DEPTH_ORDER: readonly Depth[] = ['cluster', 'node', 'plugin'];

function compareMinor(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareVersions(a: VersionResult, b: VersionResult): number {
  return compareMinor(a.kubernetes, b.kubernetes) || DEPTH_ORDER.indexOf(a.depth) - DEPTH_ORDER.indexOf(b.depth);
}

/**
 * Scenario order: the position in `order` (e.g. the registry's "order reports list it"), then by
 * name for scenarios not in it. With no order, by name.
 */
function scenarioComparator(order: readonly string[] = []): (a: ScenarioResult, b: ScenarioResult) => number {
  const rank = (name: string): number => {
    const i = order.indexOf(name);
    return i < 0 ? order.length : i;
  };
  return (a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The canonical order every merge produces; apply it to an unsharded run to compare. */
export function canonicalOrder(results: RunResults, scenarioOrder?: readonly string[]): RunResults {
  const { shard: _shard, ...rest } = results;
  const compare = scenarioComparator(scenarioOrder);
  return {
    ...rest,
    versions: [...results.versions].sort(compareVersions).map((version) => ({ ...version, scenarios: [...version.scenarios].sort(compare) })),
  };
}

/** Run ids of merged runs are the sorted set of the inputs' ids joined with "+". */
function mergeRunIds(ids: readonly string[]): string {
  return [...new Set(ids.flatMap((id) => id.split('+')))].sort().join('+');
}

export interface NamedResults {
  readonly results: RunResults;
  /** Where the results came from (a file path), for error messages. */
  readonly source: string;
}

/**
 * Merges shard results (or already merged ones) into one run in canonical order, without `shard`.
 * `scenarioOrder` lists scenario names in the order reports should show them (default: by name).
 */
export function mergeResults(inputs: readonly NamedResults[], scenarioOrder?: readonly string[]): RunResults {
  const first = inputs[0];
  if (!first) throw new ResultsMergeError('results', 'there is nothing to merge', []);
  const versions = new Map<string, { version: VersionResult; source: string; scenarios: Map<string, { scenario: ScenarioResult; source: string }> }>();
  for (const { results, source } of inputs) {
    // Typed as the constant, but inputs may come from anywhere: compare as a plain number.
    const schemaVersion: number = results.schemaVersion;
    if (schemaVersion !== RESULTS_SCHEMA_VERSION) {
      throw new ResultsMergeError(source, `schema version ${schemaVersion} is not ${RESULTS_SCHEMA_VERSION}`, [source]);
    }
    for (const version of results.versions) {
      const key = `${version.kubernetes}/${version.depth}`;
      let slot = versions.get(key);
      if (!slot) {
        slot = { version, source, scenarios: new Map() };
        versions.set(key, slot);
      } else if (!isDeepStrictEqual(slot.version.environment, version.environment)) {
        throw new ResultsMergeError(`Kubernetes ${key}`, 'the shards ran in different environments (kind, node image, gates or plugin differ)', [slot.source, source]);
      }
      for (const scenario of version.scenarios) {
        const seen = slot.scenarios.get(scenario.name);
        if (!seen) slot.scenarios.set(scenario.name, { scenario, source });
        else if (!isDeepStrictEqual(seen.scenario, scenario)) {
          throw new ResultsMergeError(`scenario ${scenario.name} at ${key}`, 'two inputs carry different results for it', [seen.source, source]);
        }
      }
    }
  }
  const all = inputs.map((input) => input.results);
  return canonicalOrder({
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: mergeRunIds(all.map((r) => r.runId)),
    startedAt: all.map((r) => r.startedAt).reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a)),
    finishedAt: all.map((r) => r.finishedAt).reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)),
    versions: [...versions.values()].map(({ version, scenarios }) => ({ ...version, scenarios: [...scenarios.values()].map((s) => s.scenario) })),
  }, scenarioOrder);
}

/**
 * Shards of a CI run that are missing from the inputs, e.g. a job that died before writing its
 * results. The matrix shards each Kubernetes minor separately (`pullproof matrix`), so a shard is
 * identified by (minor, index). Inputs without `shard` (single or merged runs) are ignored.
 */
export function missingShards(inputs: readonly RunResults[]): readonly { readonly kubernetes: string; readonly total: number; readonly missing: readonly number[] }[] {
  const seen = new Map<string, { total: number; present: Set<number> }>();
  for (const run of inputs) {
    if (!run.shard) continue;
    for (const kubernetes of new Set(run.versions.map((v) => v.kubernetes))) {
      const slot = seen.get(kubernetes) ?? { total: 0, present: new Set<number>() };
      slot.total = Math.max(slot.total, run.shard.total);
      slot.present.add(run.shard.index);
      seen.set(kubernetes, slot);
    }
  }
  return [...seen.entries()]
    .sort(([a], [b]) => compareMinor(a, b))
    .map(([kubernetes, { total, present }]) => ({ kubernetes, total, missing: Array.from({ length: total }, (_, i) => i + 1).filter((i) => !present.has(i)) }))
    .filter((gap) => gap.missing.length > 0);
}
