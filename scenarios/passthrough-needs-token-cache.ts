import { defineScenario } from '../harness/scenario/define.ts';

export default defineScenario({
  name: 'passthrough-needs-token-cache',
  summary: 'A pass-through plugin (token as password) configured with cacheType ServiceAccount: kubelet drops its credentials, so the pull is denied.',
  property: "From 1.34 kubelet refuses to cache a service-account token as a per-account credential, so a token can't outlive its pod.",
  kubernetes: { min: '1.34' },
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'ServiceAccount', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [{ namespace: 'team-a', name: 'puller' }],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],
  pods: [{ name: 'echoed-token', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', pullPolicy: 'Always' }],
  expect: {
    // kubelet's own rule, not the plugin's: it logs why it dropped the credential (plugin.go, 1.34+).
    'echoed-token': {
      fate: { denied: /insufficient_scope|401 Unauthorized/ },
      evidence: /returned the service account token as the password for image .* which is not allowed when service account cache type is not set to 'Token'/,
    },
  },
});
