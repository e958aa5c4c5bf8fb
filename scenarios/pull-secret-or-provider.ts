import { defineScenario } from '../harness/scenario/define.ts';

export default defineScenario({
  name: 'pull-secret-or-provider',
  summary: 'imagePullSecrets and the provider together: either valid credential is enough; with neither the pull is denied.',
  property: 'kubelet tries pull-secret credentials and provider credentials in turn; adding the provider neither blocks a valid secret nor rescues an invalid identity.',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [
    { namespace: 'team-a', name: 'granted' },
    { namespace: 'team-a', name: 'ungranted' },
  ],
  registry: {
    grants: [{ namespace: 'team-a', serviceAccount: 'granted', repositories: ['team-a/*'], actions: ['pull'] }],
    pullSecretUsers: [
      { name: 'robot-a', repositories: ['team-a/*'] },
      { name: 'robot-elsewhere', repositories: ['team-z/*'] },
    ],
  },
  images: ['team-a/app'],
  pods: [
    { name: 'secret-only', namespace: 'team-a', serviceAccount: 'ungranted', image: 'team-a/app', pullPolicy: 'Always', imagePullSecret: 'robot-a' },
    { name: 'provider-only', namespace: 'team-a', serviceAccount: 'granted', image: 'team-a/app', pullPolicy: 'Always', imagePullSecret: 'robot-elsewhere' },
    { name: 'neither', namespace: 'team-a', serviceAccount: 'ungranted', image: 'team-a/app', pullPolicy: 'Always', imagePullSecret: 'robot-elsewhere' },
  ],
  expect: {
    'secret-only': 'pulled',
    'provider-only': 'pulled',
    neither: { denied: /insufficient_scope/ },
  },
});
