import { defineScenario } from '../harness/scenario/define.ts';

export default defineScenario({
  name: 'granted-sa-pulls',
  summary: 'The service account the registry grants pulls; the default service account in the same namespace is denied.',
  property: 'A private image is pullable only under the service account the registry policy names, not by any pod in its namespace.',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [{ namespace: 'team-a', name: 'puller' }],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],
  pods: [
    { name: 'granted', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', pullPolicy: 'Always' },
    { name: 'default-sa', namespace: 'team-a', serviceAccount: 'default', image: 'team-a/app', pullPolicy: 'Always' },
  ],
  expect: {
    granted: 'pulled',
    'default-sa': { denied: /insufficient_scope/ },
  },
});
