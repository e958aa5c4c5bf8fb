import { defineScenario } from '../harness/scenario/define.ts';

const kubeletCache = "only a real kubelet keeps pulled-image records keyed by service-account UID (KEP-2535 with KEP-4412)";

export default defineScenario({
  name: 'recreated-sa-reverified',
  summary: 'A service account is deleted and recreated under the same name (new UID); its next pod must fetch a fresh grant instead of reusing the cached image.',
  property: "Pulled-image records name the service account's UID: a recreated account is a new identity and is checked again.",
  kubernetes: { min: '1.35' },
  depth: 'cluster',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [{ namespace: 'team-a', name: 'puller' }],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],
  pods: [
    { name: 'before', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', pullPolicy: 'IfNotPresent' },
    { name: 'after-recreate', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', pullPolicy: 'IfNotPresent', after: 'recreate-puller', sameNodeAs: 'before' },
  ],
  steps: [
    // Same name, new UID: the identity KEP-2535 records are keyed by.
    { name: 'recreate-puller', after: 'before', run: ({ kube }) => kube.recreateServiceAccount('team-a', 'puller') },
  ],
  expect: {
    before: { fate: 'pulled', depth: 'plugin' },
    'after-recreate': { fate: 'pulled', freshGrant: true, why: kubeletCache },
  },
});
