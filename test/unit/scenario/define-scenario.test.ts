import { describe, expect, it } from 'vitest';
import { applicability, defineScenario, ScenarioDefinitionError } from '../../../harness/scenario/define.ts';
import type { ScenarioInput } from '../../../harness/scenario/types.ts';

const base: ScenarioInput = {
  name: 'granted-sa-pulls',
  summary: 'the granted SA pulls; default is denied',
  property: 'only the granted service account can pull',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [{ namespace: 'team-a', name: 'puller' }],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],
  pods: [
    { name: 'granted', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app' },
    { name: 'ungranted', namespace: 'team-a', serviceAccount: 'default', image: 'team-a/app' },
  ],
  expect: { granted: 'pulled', ungranted: { denied: /insufficient_scope|401/ } },
};

function problem(input: unknown): string {
  try {
    defineScenario(input as ScenarioInput);
  } catch (error) {
    if (error instanceof ScenarioDefinitionError) return error.message;
    throw error;
  }
  throw new Error('expected a ScenarioDefinitionError');
}

describe('defineScenario', () => {
  it('accepts a valid scenario and normalises expectations to the default plugin depth', () => {
    const scenario = defineScenario(base);
    expect(scenario.expect.granted).toEqual({ fate: 'pulled', depth: 'plugin' });
    expect(scenario.expect.ungranted?.depth).toBe('plugin');
  });

  it('names the scenario and the misspelled field', () => {
    expect(problem({ ...base, provider: { ...base.provider, requiredAnnotation: ['x'] } })).toBe(
      'scenario "granted-sa-pulls": provider.requiredAnnotation: unknown field (known: mode, audience, cacheType, requireServiceAccount, requiredAnnotations, optionalAnnotations, roleAnnotation)',
    );
  });

  it('rejects a pod whose service account is not declared', () => {
    expect(problem({ ...base, pods: [{ ...base.pods[0], serviceAccount: 'ghost' }, base.pods[1]] })).toBe(
      'scenario "granted-sa-pulls": pods[0].serviceAccount: team-a/ghost is not in serviceAccounts',
    );
  });

  it('requires an expectation for every pod and none for unknown pods', () => {
    expect(problem({ ...base, expect: { granted: 'pulled' } })).toBe('scenario "granted-sa-pulls": expect.ungranted: every pod needs an expectation');
    expect(problem({ ...base, expect: { ...base.expect, typo: 'pulled' } })).toContain('expect.typo: unknown field');
  });

  it('rejects a wrong expectation value and a deeper depth without a reason', () => {
    expect(problem({ ...base, expect: { ...base.expect, granted: 'pull' } })).toContain("expect.granted: must be an object");
    expect(problem({ ...base, expect: { ...base.expect, granted: { fate: 'pulled', depth: 'cluster' } } })).toBe(
      'scenario "granted-sa-pulls": expect.granted.why: say why depths shallower than cluster cannot check this',
    );
  });

  it('only lets a pod wait for a pod declared before it', () => {
    expect(problem({ ...base, pods: [{ ...base.pods[0], after: 'ungranted' }, base.pods[1]] })).toBe(
      'scenario "granted-sa-pulls": pods[0].after: "ungranted" must name a pod declared before this one, or a step',
    );
  });

  it('lets a pod wait for a scripted step, and names the field of a broken step', () => {
    const run = (): void => undefined;
    expect(() => defineScenario({ ...base, steps: [{ name: 'rotate', after: 'granted', run }], pods: [base.pods[0], { ...base.pods[1], after: 'rotate' }] } as ScenarioInput)).not.toThrow();
    expect(problem({ ...base, steps: [{ name: 'rotate', run: 'kubectl delete sa puller' as unknown as () => void }] })).toMatch(/^scenario "granted-sa-pulls": steps\[0\]\.run: must be a function/);
    expect(problem({ ...base, steps: [{ name: 'rotate', after: 'nobody', run }] })).toBe('scenario "granted-sa-pulls": steps[0].after: "nobody" names no pod or step');
    expect(problem({ ...base, steps: [{ name: 'a', after: 'b', run }, { name: 'b', after: 'a', run }] })).toMatch(/steps\[0\]\.after: "a" waits for itself/);
  });

  it('checks a plugin of the scenario\'s own', () => {
    expect(() => defineScenario({ ...base, plugin: { executable: './plugin.sh', entry: { args: ['--mode', '{mode}'] } } })).not.toThrow();
    expect(problem({ ...base, plugin: { executable: './plugin.sh', entry: { argv: [] } as never } })).toMatch(/plugin\.entry\.argv: unknown field/);
  });

  it('requires the role annotation in exchange mode and a known image per pod', () => {
    expect(problem({ ...base, provider: { ...base.provider, mode: 'exchange' } })).toContain('provider.roleAnnotation: exchange mode needs');
    expect(problem({ ...base, pods: [{ ...base.pods[0], image: 'team-b/app' }, base.pods[1]] })).toContain('pods[0].image: "team-b/app" is not in images');
  });

  it('says when a scenario does not apply to a Kubernetes minor', () => {
    const scenario = defineScenario({ ...base, kubernetes: { min: '1.34' } });
    expect(applicability(scenario, '1.33')).toEqual({ applies: false, reason: 'needs Kubernetes 1.34 or newer' });
    expect(applicability(scenario, '1.34')).toEqual({ applies: true });
  });
});
