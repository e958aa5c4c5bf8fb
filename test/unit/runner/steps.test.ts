import { describe, expect, it } from 'vitest';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import type { PodResult } from '../../../harness/results/model.ts';
import { instantiate } from '../../../harness/runner/instantiate.ts';
import { ranPod } from '../../../harness/runner/pod-results.ts';
import { runScenarioItems, type StepEnvironment } from '../../../harness/runner/steps.ts';
import { defineScenario } from '../../../harness/scenario/define.ts';
import type { StepSpec } from '../../../harness/scenario/types.ts';
import grantedSaPulls from '../../../scenarios/granted-sa-pulls.ts';

const unused = (): Promise<never> => Promise.reject(new Error('not in this test'));
const env = (depth: StepEnvironment['depth']): StepEnvironment => ({
  depth,
  kube: { config: () => { throw new Error('none'); }, recreateServiceAccount: unused, deleteServiceAccount: unused, annotateServiceAccount: unused, setNodeAudienceGrant: unused },
  node: { names: () => [], restartKubelet: unused },
  registry: { container: 'pullproof-registry-test', host: 'r:5000' },
});

function scenarioWith(steps: StepSpec[]) {
  const scenario = defineScenario({ ...grantedSaPulls, name: 'steps-test', steps, pods: [grantedSaPulls.pods[0]!, { ...grantedSaPulls.pods[1]!, after: steps.at(-1)?.name ?? 'granted' }] });
  return instantiate(scenario, { runId: 'r1', kubernetes: kubernetesVersion('1.34'), registryHost: 'r:5000', tokenServiceUrl: 'http://t' });
}

const pulled = (instance: ReturnType<typeof scenarioWith>) => (pod: (typeof instance.pods)[number]): Promise<PodResult> =>
  Promise.resolve(ranPod(pod, instance, { verdict: { kind: 'pulled', reason: 'Running' }, comparison: { outcome: 'match' }, evidence: { events: [], kubeletLog: [], audit: [], trace: [] }, started: Date.now() }));

describe('scripted steps between pods', () => {
  it("records each step's commands, output and exit code, and shows them in the later pod's trace", async () => {
    const instance = scenarioWith([{ name: 'say', after: 'granted', depth: 'plugin', run: async ({ $ }) => { await $`echo hello from $NS_TEAM_A`; } }]);
    const { steps, pods } = await runScenarioItems(instance, env('plugin'), pulled(instance));
    expect(steps).toEqual([expect.objectContaining({ name: 'say', outcome: 'done', commands: [{ command: 'echo hello from $NS_TEAM_A', exitCode: 0, output: `hello from ${instance.namespaces.get('team-a') ?? ''}` }] })]);
    expect(pods[1]?.evidence.trace[0]).toMatch(/^step say: \$ echo hello from \$NS_TEAM_A → exit 0/);
  });

  it('fails a step on a non-zero exit, and makes the pods after it inconclusive with that evidence', async () => {
    const instance = scenarioWith([{ name: 'break', after: 'granted', depth: 'plugin', run: async ({ $ }) => { await $`echo boom >&2; exit 3`; } }]);
    const { steps, pods } = await runScenarioItems(instance, env('plugin'), pulled(instance));
    expect(steps[0]).toMatchObject({ outcome: 'failed', note: 'exit 3: boom', commands: [{ exitCode: 3, output: 'boom' }] });
    expect(pods[0]?.outcome).toBe('match');
    expect(pods[1]).toMatchObject({ outcome: 'inconclusive', fault: { kind: 'step-failure', name: 'step "break" of steps-test failed: exit 3: boom' } });
  });

  it('reports pods after a step that needs an API server as not checked at plugin depth, never passed', async () => {
    const instance = scenarioWith([{ name: 'recreate', after: 'granted', run: ({ kube }) => kube.recreateServiceAccount('team-a', 'puller') }]);
    const { steps, pods } = await runScenarioItems(instance, env('plugin'), pulled(instance));
    expect(steps[0]).toMatchObject({ outcome: 'not-run-at-depth', commands: [] });
    expect(pods[1]).toMatchObject({ outcome: 'not-checked-at-depth', note: expect.stringMatching(/^after step "recreate", which cannot act at plugin depth/) as string });
    expect(pods[1]?.verdict).toBeUndefined();
  });
});
