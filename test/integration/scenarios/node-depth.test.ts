import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesMinor } from '../../../harness/cluster/versions.ts';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import type { RunResults, VersionResult } from '../../../harness/results/model.ts';
import { newRunId } from '../../../harness/runner/instantiate.ts';
import { runSuite } from '../../../harness/runner/suite.ts';
import { BUILT_IN_SCENARIOS } from '../../../scenarios/index.ts';
import { describeWithDocker } from '../../support/docker.ts';

/**
 * Every built-in scenario through the cluster runner (harness/runner/cluster-depth.ts, the code
 * `make e2e` runs) on stand-in clusters: the real kind binary creates the cluster from the stand-in
 * node image, whose control-plane node serves the stand-in API server on 6443 and whose nodes run the
 * stand-in kubelet (credentials through the kubelet-exact runner, pulls through the node's containerd).
 */
const MINORS: readonly KubernetesMinor[] = ['1.34', '1.37'];

async function kindClusters(): Promise<string> {
  return (await execa('kind', ['get', 'clusters'], { reject: false })).stdout;
}

describeWithDocker('built-in scenarios through the cluster runner on stand-in clusters', () => {
  let results: RunResults;
  let clustersBefore = '';
  let artifacts = '';
  const log: string[] = [];

  beforeAll(async () => {
    clustersBefore = await kindClusters();
    artifacts = await mkdtemp(join(tmpdir(), 'pullproof-node-depth-'));
    results = await runSuite({
      depth: 'node', versions: MINORS.map(kubernetesVersion), scenarios: BUILT_IN_SCENARIOS, runId: newRunId(), artifactsDir: artifacts,
      podTimeoutMs: 90_000, log: (line) => log.push(line),
    });
  }, 900_000);

  afterAll(async () => {
    if (artifacts) await rm(artifacts, { recursive: true, force: true });
  });

  describe.each(MINORS)('Kubernetes %s', (minor) => {
    const version = (): VersionResult => {
      const found = results.versions.find((v) => v.kubernetes === minor);
      if (!found) throw new Error(`no results for ${minor}; run log:\n${log.join('\n')}`);
      return found;
    };

    it('reports node depth, named by the stand-in node image', () => {
      expect(version().depth).toBe('node');
      expect(version().environment.nodeImage).toMatch(/^pullproof\/standin-node:[0-9a-f]{16}$/);
    });

    it('sent the stand-in API server nothing it does not implement (harness and stand-in kubelet alike)', () => {
      expect(version().environment.standinUnimplemented).toEqual([]);
    });

    it('matches every expectation a stand-in cluster can check: 0 mismatches, 0 inconclusive', () => {
      const pods = version().scenarios.flatMap((s) => s.pods.map((p) => ({ pod: `${s.name}/${p.pod}`, outcome: p.outcome, note: p.note })));
      expect(pods.filter((p) => p.outcome === 'mismatch' || p.outcome === 'inconclusive')).toEqual([]);
      expect(pods.filter((p) => p.outcome === 'match').length).toBeGreaterThan(15);
    });

    it("backs each verdict with kubelet's events from the API server, not a runner trace", () => {
      for (const scenario of version().scenarios) {
        for (const pod of scenario.pods.filter((p) => p.verdict)) {
          const reasons = pod.evidence.events.map((e) => e.reason);
          expect(reasons, `${scenario.name}/${pod.pod}`).toContain('Pulling');
          expect(reasons, `${scenario.name}/${pod.pod}`).toContain(pod.verdict?.kind === 'pulled' ? 'Pulled' : 'Failed');
        }
      }
    });

    it("shows kubelet's own refusal of an echoed token in the kubelet log (plugin.go), on 1.34+", () => {
      const pod = version().scenarios.find((s) => s.name === 'passthrough-needs-token-cache')?.pods[0];
      expect(pod?.outcome).toBe('match');
      expect(pod?.evidence.kubeletLog.join('\n')).toMatch(/returned the service account token as the password for image "[^"]+\/team-a\/app"/);
    });

    it('reports what only a real kubelet or API server decides as not checked at this depth', () => {
      const notChecked = version().scenarios.flatMap((s) => s.pods.filter((p) => p.outcome === 'not-checked-at-depth').map((p) => p.pod));
      expect(notChecked).toEqual(expect.arrayContaining(['rbac-withheld', 'then-sa-b', 'b-if-not-present', 'b-never']));
    });
  });

  it('leaves no cluster behind', async () => {
    expect(await kindClusters()).toBe(clustersBefore);
  });
});
