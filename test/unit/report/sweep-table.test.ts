import { describe, expect, it } from 'vitest';
import { renderSweepTable } from '../../../harness/report/sweep-table.ts';
import type { PodResult, RunResults, VersionResult } from '../../../harness/results/model.ts';

function pod(name: string, outcome: PodResult['outcome'], verdict?: PodResult['verdict']): PodResult {
  return {
    pod: name, namespace: 'team-a-1', serviceAccount: 'sa-b', image: 'r:5000/s/team-a/app:t', expected: { kind: 'vulnerable-if-gate-off' },
    outcome, ...(verdict ? { verdict } : {}), evidence: { events: [], kubeletLog: [], audit: [], trace: [] }, annotations: {},
  };
}

function version(kubernetes: string, pods: PodResult[]): VersionResult {
  return { kubernetes, depth: 'cluster', environment: { featureGates: {} }, scenarios: [{ name: 'cached-image-reverified', summary: '', property: '', pods, durationMs: 1 }] };
}

describe('sweep table', () => {
  it('puts each version in a column so the version where the hole closes stands out', () => {
    const results: RunResults = {
      schemaVersion: 1, runId: 'r', startedAt: '2026-11-28T00:00:00Z', finishedAt: '2026-11-28T00:10:00Z',
      versions: [
        version('1.34', [pod('b-never', 'match', { kind: 'pulled', reason: 'Running' })]),
        version('1.35', [pod('b-never', 'match', { kind: 'denied', reason: 'ErrImageNeverPull', message: 'Container image "x" is not present with pull policy of Never' })]),
        version('1.36', [pod('b-never', 'inconclusive', { kind: 'inconclusive', reason: 'Timeout' })]),
      ],
    };
    const lines = renderSweepTable(results, 'cached-image-reverified').split('\n');
    expect(lines[0]).toBe('sweep cached-image-reverified');
    expect(lines[1]).toMatch(/^POD\s+EXPECTED\s+1\.34 \(cluster\)\s+1\.35 \(cluster\)\s+1\.36 \(cluster\)$/);
    expect(lines[2]).toMatch(/^b-never .*pulled \(Running\): match .*denied \(ErrImageNeverPull\): match .*inconclusive/);
  });
});
