import { execa } from 'execa';
import { beforeAll, expect, it } from 'vitest';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import type { VersionResult } from '../../../harness/results/model.ts';
import { newRunId } from '../../../harness/runner/instantiate.ts';
import { runAtNodeDepth } from '../../../harness/runner/node-depth.ts';
import { BUILT_IN_SCENARIOS } from '../../../scenarios/index.ts';
import { describeWithDocker } from '../../support/docker.ts';

/**
 * Every built-in scenario at node depth: the real kind binary and a stand-in node whose kubelet
 * config, provider bundle and hosts.toml kind mounted; inside the node the kubelet-exact runner runs
 * our plugin with the bundle's Node and the node's containerd pulls from the registry on the kind
 * network, with the token realm on the network's gateway.
 */
describeWithDocker('built-in scenarios at node depth (stand-in node, Kubernetes 1.35)', () => {
  let result: VersionResult;
  let clustersBefore = '';

  beforeAll(async () => {
    clustersBefore = (await execa('kind', ['get', 'clusters'], { reject: false })).stdout;
    result = await runAtNodeDepth({ scenarios: BUILT_IN_SCENARIOS, kubernetes: kubernetesVersion('1.35'), runId: newRunId() });
  }, 600_000);

  it('reports every pod of every built-in scenario', () => {
    expect(result.depth).toBe('node');
    expect(result.scenarios.flatMap((s) => s.pods)).toHaveLength(BUILT_IN_SCENARIOS.flatMap((s) => s.pods).length);
  });

  it('matches every expectation a node can check, each backed by an in-node trace', () => {
    const checked = result.scenarios.flatMap((s) => s.pods.filter((p) => p.verdict).map((p) => ({ scenario: s.name, ...p })));
    expect(checked.length).toBeGreaterThan(15);
    for (const pod of checked) {
      expect({ pod: `${pod.scenario}/${pod.pod}`, outcome: pod.outcome, note: pod.note }).toEqual({ pod: `${pod.scenario}/${pod.pod}`, outcome: 'match', note: pod.note });
      expect(pod.evidence.trace.join('\n'), `${pod.scenario}/${pod.pod}`).toMatch(/pull /);
    }
    // The image host resolves only through Docker DNS on the kind network: these pulls happened in the node.
    expect(checked[0]?.image).toMatch(/^pullproof-registry-[0-9a-f]{6}:5000\//);
  });

  it('leaves no cluster behind', async () => {
    expect((await execa('kind', ['get', 'clusters'], { reject: false })).stdout).toBe(clustersBefore);
  });
});
