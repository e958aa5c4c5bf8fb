import { beforeAll, expect, it } from 'vitest';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import type { VersionResult } from '../../../harness/results/model.ts';
import { runAtPluginDepth } from '../../../harness/runner/plugin-depth.ts';
import { defineScenario } from '../../../harness/scenario/define.ts';
import grantedSaPulls from '../../../scenarios/granted-sa-pulls.ts';
import { BUILT_IN_SCENARIOS } from '../../../scenarios/index.ts';
import { describeWithDocker } from '../../support/docker.ts';

/**
 * Every built-in scenario at plugin depth: kubelet-exact runner + our plugin (bundled as for nodes)
 * + real token service + real registry + real containerd pulls. Expectations that need a real
 * kubelet must come back "not checked at this depth", never as passed.
 */
describeWithDocker('built-in scenarios at plugin depth (Kubernetes 1.34)', () => {
  let result: VersionResult;

  beforeAll(async () => {
    result = await runAtPluginDepth({ scenarios: BUILT_IN_SCENARIOS, kubernetes: kubernetesVersion('1.34'), parallel: 3 });
  }, 300_000);

  it('runs every built-in scenario and reports every pod', () => {
    expect(result.scenarios.map((s) => s.name).sort()).toEqual(BUILT_IN_SCENARIOS.map((s) => s.name).sort());
    for (const scenario of BUILT_IN_SCENARIOS) {
      const reported = result.scenarios.find((s) => s.name === scenario.name);
      expect(reported?.pods.map((p) => p.pod).sort(), scenario.name).toEqual(scenario.pods.map((p) => p.name).sort());
    }
  });

  it('matches every expectation it can check, with a verdict and evidence', () => {
    const checked = result.scenarios.flatMap((s) => s.pods.filter((p) => p.verdict).map((p) => ({ scenario: s.name, ...p })));
    expect(checked.length).toBeGreaterThan(15);
    for (const pod of checked) {
      expect({ pod: `${pod.scenario}/${pod.pod}`, outcome: pod.outcome, note: pod.note }).toEqual({ pod: `${pod.scenario}/${pod.pod}`, outcome: 'match', note: pod.note });
      expect(pod.evidence.trace.length, `${pod.scenario}/${pod.pod} trace`).toBeGreaterThan(0);
    }
  });

  it('reports cluster-only expectations as not checked, naming why', () => {
    const notChecked = result.scenarios.flatMap((s) => s.pods.filter((p) => p.outcome === 'not-checked-at-depth'));
    expect(notChecked.map((p) => p.pod)).toEqual(expect.arrayContaining(['rbac-withheld', 'b-if-not-present', 'b-never', 'then-sa-b']));
    for (const pod of notChecked) {
      expect(pod.verdict).toBeUndefined();
      expect(pod.note).toMatch(/^checked at cluster depth only: .+/);
    }
  });

  it("cites the token service's audit for a denied service account", () => {
    const denied = result.scenarios.find((s) => s.name === 'granted-sa-pulls')?.pods.find((p) => p.pod === 'default-sa');
    expect(denied?.verdict?.kind).toBe('denied');
    expect(denied?.verdict?.message).toContain('insufficient_scope');
    expect(denied?.evidence.audit.some((a) => a.grantedScopes.length === 0 && a.requestedScopes.some((s) => s.includes('granted-sa-pulls/team-a/app')))).toBe(true);
  });

  it('names the registry image it ran: the offline distribution 2.8 build unless another was chosen', () => {
    expect(result.environment.registryImage).toMatch(/^pullproof\/registry-offline:[0-9a-f]{16}$/);
  });

  it('never puts a token or password into the results', () => {
    const text = JSON.stringify(result);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
    expect(text).not.toMatch(/ppx_[A-Za-z0-9_-]{20,}/);
  });
});

describeWithDocker('a scenario with a wrong expectation (plugin depth)', () => {
  it('fails with a note that says what was expected and what happened', async () => {
    const wrong = defineScenario({ ...grantedSaPulls, name: 'scratch-wrong', expect: { granted: 'pulled', 'default-sa': 'pulled' } });
    const result = await runAtPluginDepth({ scenarios: [wrong], kubernetes: kubernetesVersion('1.34') });
    const pod = result.scenarios[0]?.pods.find((p) => p.pod === 'default-sa');
    expect(pod?.outcome).toBe('mismatch');
    expect(pod?.note).toMatch(/^expected pulled, got denied \(ErrImagePull\): Failed to pull image ".*scratch-wrong\/team-a\/app:.*": .*insufficient_scope/);
  }, 120_000);
});
