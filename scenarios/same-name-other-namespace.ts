import { defineScenario } from '../harness/scenario/define.ts';

export default defineScenario({
  name: 'same-name-other-namespace',
  summary: 'A service account with the granted name, but in another namespace, is denied.',
  property: 'A grant is bound to namespace and name together: recreating a privileged name in a namespace you control gains nothing.',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [
    { namespace: 'team-a', name: 'puller' },
    { namespace: 'team-b', name: 'puller' },
  ],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],
  pods: [
    { name: 'owner', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', pullPolicy: 'Always' },
    { name: 'namesake', namespace: 'team-b', serviceAccount: 'puller', image: 'team-a/app', pullPolicy: 'Always' },
  ],
  expect: {
    owner: 'pulled',
    namesake: { denied: /insufficient_scope/ },
  },
});
