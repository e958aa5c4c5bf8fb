import { defineScenario } from '../harness/scenario/define.ts';

const onlyKubelet = 'NodeRestriction decides whether kubelet may request a token for this audience; only a real API server and kubelet can show it';

export default defineScenario({
  name: 'node-audience-restriction',
  summary: 'Nodes may request tokens for the registry audience only for the service account RBAC names; the other granted account gets no token and is denied.',
  property: 'ServiceAccountNodeAudienceRestriction: without request-serviceaccounts-token-audience for system:nodes, kubelet cannot mint a registry token for a pod.',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: ['allowed'],
  serviceAccounts: [
    { namespace: 'team-a', name: 'allowed' },
    { namespace: 'team-a', name: 'withheld' },
  ],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: '*', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],
  pods: [
    { name: 'rbac-granted', namespace: 'team-a', serviceAccount: 'allowed', image: 'team-a/app', pullPolicy: 'Always' },
    { name: 'rbac-withheld', namespace: 'team-a', serviceAccount: 'withheld', image: 'team-a/app', pullPolicy: 'Always' },
  ],
  expect: {
    'rbac-granted': 'pulled',
    'rbac-withheld': { fate: { denied: /insufficient_scope|401 Unauthorized/ }, depth: 'cluster', why: onlyKubelet },
  },
});
