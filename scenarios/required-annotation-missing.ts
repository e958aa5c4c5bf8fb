import { defineScenario } from '../harness/scenario/define.ts';

export default defineScenario({
  name: 'required-annotation-missing',
  summary: 'The provider requires an annotation; a granted service account without it never reaches the plugin and pulls anonymously, which is denied.',
  property: "kubelet does not invoke the plugin for a service account missing a required annotation key, so no credential is minted for it.",
  provider: {
    mode: 'passthrough',
    audience: 'pullproof-registry',
    cacheType: 'Token',
    requireServiceAccount: true,
    requiredAnnotations: ['pullproof.dev/identity'],
  },
  nodeAudienceGrant: true,
  serviceAccounts: [
    { namespace: 'team-a', name: 'annotated', annotations: { 'pullproof.dev/identity': 'team-a' } },
    { namespace: 'team-a', name: 'bare' },
  ],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: '*', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],
  pods: [
    { name: 'annotated', namespace: 'team-a', serviceAccount: 'annotated', image: 'team-a/app', pullPolicy: 'Always' },
    { name: 'bare', namespace: 'team-a', serviceAccount: 'bare', image: 'team-a/app', pullPolicy: 'Always' },
  ],
  expect: {
    annotated: 'pulled',
    // Anonymous: the token endpoint refuses to grant anything without credentials.
    bare: { denied: /insufficient_scope|401 Unauthorized/ },
  },
});
