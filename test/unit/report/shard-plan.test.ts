import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO_COST_MS, MatrixPlanError, balanceShards, estimateCosts, planMatrix } from '../../../harness/results/shard-plan.ts';
import { singleRun } from './synthetic-results.ts';

describe('CI matrix planning', () => {
  it('gives every version the same shards, each scenario exactly once per version', () => {
    const matrix = planMatrix({ versions: ['1.34', '1.35'], scenarios: ['a', 'b', 'c'], shards: 2 });
    expect(matrix.include).toEqual([
      { k8s: '1.34', shard: 1, shards: 2, scenarios: 'a,c' },
      { k8s: '1.34', shard: 2, shards: 2, scenarios: 'b' },
      { k8s: '1.35', shard: 1, shards: 2, scenarios: 'a,c' },
      { k8s: '1.35', shard: 2, shards: 2, scenarios: 'b' },
    ]);
  });

  it('never emits an empty shard (an empty list must not mean "all")', () => {
    const matrix = planMatrix({ versions: ['1.34'], scenarios: ['only'], shards: 4 });
    expect(matrix.include).toEqual([{ k8s: '1.34', shard: 1, shards: 1, scenarios: 'only' }]);
  });

  it('balances by cost: the expensive scenario gets a shard of its own', () => {
    const costs = new Map([
      ['cached-image-reverify', 300],
      ['a', 100],
      ['b', 100],
      ['c', 100],
    ]);
    expect(balanceShards([...costs.keys()], 2, costs)).toEqual([['cached-image-reverify'], ['a', 'b', 'c']]);
  });

  it('keeps every shard within one scenario of the average load (LPT bound), for any costs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 30, maxLength: 30 }), (names, shards, raw) => {
        const costs = new Map(names.map((n, i) => [n, raw[i] ?? 1]));
        const groups = balanceShards(names, shards, costs);
        expect(groups.flat().sort()).toEqual([...names].sort());
        expect(groups.every((g) => g.length > 0)).toBe(true);
        expect(groups.length).toBe(Math.min(shards, names.length));
        const loads = groups.map((g) => g.reduce((sum, n) => sum + (costs.get(n) ?? 0), 0));
        const average = loads.reduce((a, b) => a + b, 0) / loads.length;
        expect(Math.max(...loads)).toBeLessThanOrEqual(average + Math.max(...costs.values()));
      }),
      { numRuns: 100 },
    );
  });

  it('estimates cost from a previous run, and unknown scenarios from the median', () => {
    const costs = estimateCosts(['cached-image-reverify', 'node-audience-rbac', 'brand-new'], singleRun());
    // cached-image-reverify ran 52 s at three cluster versions and 0 s at plugin depth.
    expect(costs.get('cached-image-reverify')).toBe((52000 * 3 + 0) / 4);
    expect(costs.get('brand-new')).toBeGreaterThan(0);
    expect(estimateCosts(['x']).get('x')).toBe(DEFAULT_SCENARIO_COST_MS);
  });

  it('refuses plans it cannot run, saying which flag to change', () => {
    expect(() => planMatrix({ versions: ['1.34'], scenarios: [], shards: 1 })).toThrow(/--scenarios "" names no scenario: add scenario files under scenarios\//);
    expect(() => planMatrix({ versions: ['1.34'], scenarios: ['a'], shards: 0 })).toThrow(MatrixPlanError);
    expect(() => planMatrix({ versions: ['1.34'], scenarios: ['a; rm -rf /'], shards: 1 })).toThrow(/scenario name "a; rm -rf \/" must be lower-case/);
    const many = Array.from({ length: 60 }, (_, i) => `s${i}`);
    expect(() => planMatrix({ versions: ['1.33', '1.34', '1.35', '1.36', '1.37'], scenarios: many, shards: 60 })).toThrow(/makes 300 jobs; GitHub Actions allows 256/);
  });
});
