import { defineScenario } from '../harness/scenario/define.ts';

const kubeletCache = "only a real kubelet keeps pulled-image records (KEP-2535) and decides whether a cached image needs the pod's own credentials";

export default defineScenario({
  name: 'cached-image-reverified',
  summary: "SA-A pulls a private image onto a node; SA-B (not granted) on the same node may not start it from the cache, with IfNotPresent or Never; SA-A's second pod starts.",
  property: 'KEP-2535 (KubeletEnsureSecretPulledImages): an image pulled with credentials is re-verified for every pod that wants to use it from the node cache.',
  depth: 'cluster',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [
    { namespace: 'team-a', name: 'sa-a' },
    { namespace: 'team-a', name: 'sa-b' },
  ],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: 'sa-a', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],
  pods: [
    { name: 'a-first', namespace: 'team-a', serviceAccount: 'sa-a', image: 'team-a/app', pullPolicy: 'IfNotPresent' },
    { name: 'b-if-not-present', namespace: 'team-a', serviceAccount: 'sa-b', image: 'team-a/app', pullPolicy: 'IfNotPresent', after: 'a-first', sameNodeAs: 'a-first' },
    { name: 'b-never', namespace: 'team-a', serviceAccount: 'sa-b', image: 'team-a/app', pullPolicy: 'Never', after: 'a-first', sameNodeAs: 'a-first' },
    { name: 'a-second', namespace: 'team-a', serviceAccount: 'sa-a', image: 'team-a/app', pullPolicy: 'IfNotPresent', after: 'b-never', sameNodeAs: 'a-first' },
  ],
  expect: {
    'a-first': { fate: 'pulled', depth: 'plugin' },
    'b-if-not-present': { fate: 'vulnerable-if-gate-off', why: kubeletCache },
    'b-never': { fate: 'vulnerable-if-gate-off', why: kubeletCache },
    'a-second': { fate: 'pulled', why: kubeletCache },
  },
});
