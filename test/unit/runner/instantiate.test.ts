import { describe, expect, it } from 'vitest';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import { combinedPolicy, instantiate, namespaceSuffix, scenarioId } from '../../../harness/runner/instantiate.ts';
import exchangeRoleImpersonation from '../../../scenarios/exchange-role-impersonation.ts';
import grantedSaPulls from '../../../scenarios/granted-sa-pulls.ts';
import nodeAudienceRestriction from '../../../scenarios/node-audience-restriction.ts';
import pullSecretOrProvider from '../../../scenarios/pull-secret-or-provider.ts';
import requiredAnnotationMissing from '../../../scenarios/required-annotation-missing.ts';

const context = { runId: '20261128-abc123', kubernetes: kubernetesVersion('1.34'), registryHost: 'pullproof-registry:5000', tokenServiceUrl: 'http://172.18.0.1:41000' };

describe('scenario instances', () => {
  it('gives each scenario its own namespaces, repositories and tags', () => {
    const instance = instantiate(grantedSaPulls, context);
    const id = namespaceSuffix(grantedSaPulls, context.runId);
    expect(instance.namespaces.get('team-a')).toBe(`team-a-${id}`);
    expect(namespaceSuffix(grantedSaPulls, 'another-run')).not.toBe(id);
    expect(instance.images).toEqual([{ repository: 'granted-sa-pulls/team-a/app', tag: context.runId, ref: 'pullproof-registry:5000/granted-sa-pulls/team-a/app:20261128-abc123' }]);
    expect(instance.pods.map((p) => [p.name, p.namespace, p.imageRef])).toEqual([
      ['granted', `team-a-${id}`, instance.images[0]?.ref],
      ['default-sa', `team-a-${id}`, instance.images[0]?.ref],
    ]);
  });

  it('scopes grants to the scenario: its namespace, its repository prefix', () => {
    const { policy, namespaces } = instantiate(grantedSaPulls, context);
    expect(policy.subjects).toEqual([
      { name: 'granted-sa-pulls/grants[0]', match: { namespace: namespaces.get('team-a'), serviceAccount: 'puller' }, grants: [{ repositories: ['granted-sa-pulls/team-a/*'], actions: ['pull'] }] },
    ]);
  });

  it('keeps provider name and audience stable across runs, so a reused cluster keeps its config', () => {
    const a = instantiate(grantedSaPulls, context);
    const b = instantiate(grantedSaPulls, { ...context, runId: 'another-run' });
    expect(b.provider).toEqual(a.provider);
    expect(a.provider.name).toBe(`pullproof-${scenarioId(grantedSaPulls)}`);
  });

  it("builds the provider entry from the scenario's provider settings, matching only its own images", () => {
    const { provider, providerAudience } = instantiate(requiredAnnotationMissing, context);
    expect(provider.matchImages).toEqual(['pullproof-registry:5000/required-annotation-missing/']);
    expect(provider.args).toEqual(['--mode', 'passthrough']);
    expect(provider.tokenAttributes).toEqual({
      serviceAccountTokenAudience: providerAudience,
      cacheType: 'Token',
      requireServiceAccount: true,
      requiredServiceAccountAnnotationKeys: ['pullproof.dev/identity'],
    });
  });

  it('scopes exchange roles and rewrites the role annotation to the scoped role name', () => {
    const instance = instantiate(exchangeRoleImpersonation, context);
    expect(instance.policy.roles.map((r) => r.name)).toEqual(['exchange-role-impersonation.team-a-reader']);
    expect(instance.policy.roles[0]?.trust).toEqual([{ namespace: instance.namespaces.get('team-a'), serviceAccount: '*' }]);
    expect(instance.serviceAccounts.map((sa) => sa.annotations['pullproof.dev/role'])).toEqual([
      'exchange-role-impersonation.team-a-reader',
      'exchange-role-impersonation.team-a-reader',
    ]);
    expect(instance.provider.args).toContain('--exchange-url');
  });

  it('grants the node audience per service account when the scenario lists names, on a scenario-unique audience', () => {
    const instance = instantiate(nodeAudienceRestriction, context);
    expect(instance.nodeAudienceGrant).toMatchObject({ audience: instance.providerAudience, serviceAccountNames: ['allowed'] });
    expect(instance.providerAudience).not.toBe(instantiate(grantedSaPulls, context).providerAudience);
  });

  it('generates pull-secret users with per-run passwords and scoped repositories', () => {
    const instance = instantiate(pullSecretOrProvider, context, (name) => `secret-for-${name}`);
    expect(instance.pullSecretUsers).toEqual([
      { logicalName: 'robot-a', username: 'pull-secret-or-provider.robot-a', password: 'secret-for-robot-a', repositories: ['pull-secret-or-provider/team-a/*'] },
      { logicalName: 'robot-elsewhere', username: 'pull-secret-or-provider.robot-elsewhere', password: 'secret-for-robot-elsewhere', repositories: ['pull-secret-or-provider/team-z/*'] },
    ]);
  });

  it('combines instances into one policy without overlapping subjects', () => {
    const a = instantiate(grantedSaPulls, context);
    const b = instantiate(requiredAnnotationMissing, context);
    const policy = combinedPolicy([a, b]);
    const namespacesOf = (i: typeof a) => new Set(i.policy.subjects.map((s) => s.match.namespace));
    expect(policy.subjects).toHaveLength(a.policy.subjects.length + b.policy.subjects.length);
    for (const n of namespacesOf(a)) expect(namespacesOf(b).has(n)).toBe(false);
  });
});
