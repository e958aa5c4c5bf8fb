import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultsMergeError, canonicalOrder, mergeResults, missingShards, type NamedResults } from '../../../harness/results/merge.ts';
import type { RunResults } from '../../../harness/results/model.ts';
import { loadSynthetic, shardFiles, singleRun, withPod } from './synthetic-results.ts';

const shards: NamedResults[] = shardFiles().map((file) => ({ results: loadSynthetic(file), source: file }));
const named = (results: RunResults, source = 'merged'): NamedResults => ({ results, source });

describe('merging shard results', () => {
  it('has six synthetic shards to merge', () => {
    expect(shards).toHaveLength(6);
  });

  it('equals the single run of the same scenarios (in canonical order)', () => {
    const merged = mergeResults(shards);
    expect(merged).toEqual(canonicalOrder(singleRun()));
    expect(merged.shard).toBeUndefined();
    expect(merged.startedAt).toBe(singleRun().startedAt);
    expect(merged.finishedAt).toBe(singleRun().finishedAt);
  });

  it('does not depend on the order or grouping of the shards (associative, commutative)', () => {
    const expected = mergeResults(shards);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(shards, { minLength: shards.length, maxLength: shards.length }),
        fc.integer({ min: 1, max: shards.length - 1 }),
        (order, cut) => {
          const left = mergeResults(order.slice(0, cut));
          const right = mergeResults(order.slice(cut));
          expect(mergeResults([named(left), named(right)])).toEqual(expected);
          expect(mergeResults(order)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('lists scenarios in a given order (the registry\'s) instead of by name', () => {
    const order = ['sa-token-passthrough', 'annotation-scoped-exchange', 'cached-image-reverify', 'node-audience-rbac'];
    const merged = mergeResults(shards, order);
    expect(merged.versions.map((v) => v.scenarios.map((s) => s.name))).toEqual(merged.versions.map(() => order));
    expect(merged).toEqual(canonicalOrder(singleRun(), order));
    expect(canonicalOrder(singleRun(), order).versions[0]?.scenarios).toEqual(singleRun().versions[0]?.scenarios);
  });

  it('is idempotent: a re-uploaded shard changes nothing', () => {
    expect(mergeResults([...shards, shards[0] as NamedResults])).toEqual(mergeResults(shards));
  });

  it('refuses two different results for the same scenario at the same version', () => {
    const first = shards.find((s) => s.source === 'shard-1.34-2-of-2.json') as NamedResults;
    const changed = named(withPod(first.results, '1.34', 'scoped-wrong-repo', (p) => ({ ...p, outcome: 'match' })), 'rerun/results.json');
    expect(() => mergeResults([first, changed])).toThrow(ResultsMergeError);
    expect(() => mergeResults([first, changed])).toThrow(
      /cannot merge scenario annotation-scoped-exchange at 1\.34\/cluster: two inputs carry different results for it \(inputs: shard-1\.34-2-of-2\.json, rerun\/results\.json\)/,
    );
  });

  it('refuses shards of one version that ran in different environments', () => {
    const [a, b] = shards.filter((s) => s.source.startsWith('shard-1.33')) as [NamedResults, NamedResults];
    const other = named({ ...b.results, versions: b.results.versions.map((v) => ({ ...v, environment: { ...v.environment, kindVersion: 'v0.32.0' } })) }, 'b');
    expect(() => mergeResults([a, other])).toThrow(/Kubernetes 1\.33\/cluster: the shards ran in different environments/);
  });

  it('names the shards that are missing, per Kubernetes version', () => {
    const some = shards.filter((s) => s.source !== 'shard-1.34-2-of-2.json').map((s) => s.results);
    expect(missingShards(some)).toEqual([{ kubernetes: '1.34', total: 2, missing: [2] }]);
    expect(missingShards(shards.map((s) => s.results))).toEqual([]);
    expect(missingShards([singleRun()])).toEqual([]);
  });
});
