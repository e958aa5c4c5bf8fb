import { defineScenario } from '../harness/scenario/define.ts';

export default defineScenario({
  name: 'service-account-cache-no-bleed',
  summary: "With cacheType ServiceAccount, SA-A's cached registry credential is not used for SA-B's pull of the same image.",
  property: "kubelet's credential cache is keyed by service account (namespace, name, UID): one account's credential never serves another.",
  kubernetes: { min: '1.34' },
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
    { namespace: 'team-a', name: 'sa-a', annotations: { 'pullproof.dev/role': 'team-a-reader' } },
    { namespace: 'team-a', name: 'sa-b', annotations: { 'pullproof.dev/role': 'team-a-reader' } },
  ],
  registry: {
    roles: [{ name: 'team-a-reader', trust: [{ namespace: 'team-a', serviceAccount: 'sa-a' }], repositories: ['team-a/*'], actions: ['pull'] }],
  },
  images: ['team-a/app'],
  pods: [
    { name: 'first-sa-a', namespace: 'team-a', serviceAccount: 'sa-a', image: 'team-a/app', pullPolicy: 'Always' },
    { name: 'then-sa-b', namespace: 'team-a', serviceAccount: 'sa-b', image: 'team-a/app', pullPolicy: 'Always', after: 'first-sa-a', sameNodeAs: 'first-sa-a' },
  ],
  expect: {
    'first-sa-a': 'pulled',
    'then-sa-b': {
      fate: { denied: /insufficient_scope|401 Unauthorized/ },
      depth: 'cluster',
      why: "the bleed this guards against lives in kubelet's in-memory credential cache; shallower depths only show SA-B is not trusted",
    },
  },
});
