import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects, fetchIssuerTrust } from '../../../harness/cluster/kube-api.ts';
import { nodeAudienceRbac } from '../../../harness/cluster/node-audience-rbac.ts';
import { RBAC_DISCOVERY, startFakeApiServer, type FakeApiServer } from '../../support/fake-api-server.ts';

// The two lifecycle steps that talk to Kubernetes, checked for the requests they make against a
// loopback stand-in API server (real clusters only exist in `make e2e`).
let api: FakeApiServer;
let kubeconfig: string;
let seen: FakeApiServer['seen'];
let jwksKeys: unknown[] = [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB', alg: 'RS256', use: 'sig' }];

beforeAll(async () => {
  api = await startFakeApiServer((req) => {
    if (req.url === '/.well-known/openid-configuration') return { issuer: 'https://kubernetes.default.svc.cluster.local', jwks_uri: 'https://172.18.0.3:6443/openid/v1/jwks' };
    if (req.url === '/openid/v1/jwks') return { keys: jwksKeys };
    if (req.url === '/apis/rbac.authorization.k8s.io/v1') return RBAC_DISCOVERY;
    if (req.method === 'PATCH') return req.body;
    return undefined;
  });
  kubeconfig = api.kubeconfig;
  seen = api.seen;
});

afterAll(async () => {
  await api.close();
});

describe('API-server steps of the lifecycle', () => {
  it('reads the service-account issuer and its JWKS from the API server', async () => {
    const trust = await fetchIssuerTrust(kubeconfig);
    expect(trust.issuer).toBe('https://kubernetes.default.svc.cluster.local');
    expect(trust.jwks.keys).toEqual(jwksKeys);
    expect(seen.map((s) => s.url)).toEqual(expect.arrayContaining(['/.well-known/openid-configuration', '/openid/v1/jwks']));
  });

  it('refuses an issuer without keys, saying what is missing', async () => {
    jwksKeys = [];
    await expect(fetchIssuerTrust(kubeconfig)).rejects.toThrow(/issuer discovery is incomplete \(issuer https:\/\/kubernetes.default.svc.cluster.local, 0 keys\)/);
    jwksKeys = [{ kty: 'RSA', kid: 'k1' }];
  });

  it('applies the node-audience RBAC with server-side apply (re-runnable on a reused cluster)', async () => {
    seen.length = 0;
    await applyObjects(kubeconfig, nodeAudienceRbac({ roleName: 'pullproof-node-audience', audience: 'pullproof-registry' }));
    const patches = seen.filter((s) => s.method === 'PATCH');
    expect(patches.map((p) => p.url.split('?')[0])).toEqual([
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/pullproof-node-audience',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pullproof-node-audience-nodes',
    ]);
    for (const p of patches) {
      expect(p.contentType).toBe('application/apply-patch+yaml');
      expect(p.url).toMatch(/fieldManager=pullproof/);
      expect(p.url).toMatch(/force=true/);
    }
    expect(JSON.parse(patches[0]?.body ?? '{}')).toMatchObject({ kind: 'ClusterRole', rules: [{ verbs: ['request-serviceaccounts-token-audience'], resources: ['pullproof-registry'] }] });
  });
});
