import { defineScenario } from '../harness/scenario/define.ts';

export default defineScenario({
  name: 'audience-mismatch',
  summary: 'kubelet mints tokens for an audience the token service does not accept; even a granted service account is denied.',
  property: 'A token minted for another audience is never accepted by the registry: tokens cannot be replayed across relying parties.',
  provider: { mode: 'passthrough', audience: 'some-other-service', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [{ namespace: 'team-a', name: 'puller' }],
  registry: {
    acceptedAudience: 'pullproof-registry',
    grants: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['team-a/*'], actions: ['pull'] }],
  },
  images: ['team-a/app'],
  pods: [{ name: 'wrong-audience', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', pullPolicy: 'Always' }],
  expect: {
    // The token service answers 401 to the POST and then to the GET fallback; its audit names the cause.
    'wrong-audience': { fate: { denied: /401 Unauthorized/ }, evidence: /wrong_audience/ },
  },
});
