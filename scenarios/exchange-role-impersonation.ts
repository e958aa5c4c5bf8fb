import { defineScenario } from '../harness/scenario/define.ts';

export default defineScenario({
  name: 'exchange-role-impersonation',
  summary: "In exchange mode, a service account that names a role it is not trusted for is denied; the trusted one pulls.",
  property: 'Naming a role in an annotation does not confer it: the token service checks the role trusts the presenting service account.',
  provider: {
    mode: 'exchange',
    audience: 'pullproof-registry',
    cacheType: 'ServiceAccount',
    requireServiceAccount: true,
    requiredAnnotations: ['pullproof.dev/role'],
    roleAnnotation: 'pullproof.dev/role',
  },
  nodeAudienceGrant: true,
  serviceAccounts: [
    { namespace: 'team-a', name: 'builder', annotations: { 'pullproof.dev/role': 'team-a-reader' } },
    { namespace: 'team-b', name: 'intruder', annotations: { 'pullproof.dev/role': 'team-a-reader' } },
  ],
  registry: {
    roles: [{ name: 'team-a-reader', trust: [{ namespace: 'team-a', serviceAccount: '*' }], repositories: ['team-a/*'], actions: ['pull'] }],
  },
  images: ['team-a/app'],
  pods: [
    { name: 'trusted', namespace: 'team-a', serviceAccount: 'builder', image: 'team-a/app', pullPolicy: 'Always' },
    { name: 'impersonator', namespace: 'team-b', serviceAccount: 'intruder', image: 'team-a/app', pullPolicy: 'Always' },
  ],
  expect: {
    trusted: 'pulled',
    // The plugin gets 403 from the exchange endpoint and returns no credentials: anonymous pull.
    impersonator: { denied: /insufficient_scope|401 Unauthorized/ },
  },
});
