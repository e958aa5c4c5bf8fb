import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects, fetchIssuerTrust } from '../../../harness/cluster/kube-api.ts';
import { nodeAudienceRbac } from '../../../harness/cluster/node-audience-rbac.ts';

// A stand-in API server on loopback: the two lifecycle steps that talk to Kubernetes, checked for
// the requests they make (real clusters only exist in `make e2e`).
interface Seen { method: string; url: string; contentType: string; body: string }
const seen: Seen[] = [];
let server: Server;
let dir: string;
let kubeconfig: string;
let jwksKeys: unknown[] = [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB', alg: 'RS256', use: 'sig' }];

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void body(req).then((b) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: b });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer: 'https://kubernetes.default.svc.cluster.local', jwks_uri: 'https://172.18.0.3:6443/openid/v1/jwks' }));
      } else if (req.url === '/openid/v1/jwks') {
        res.end(JSON.stringify({ keys: jwksKeys }));
      } else if (req.url === '/apis/rbac.authorization.k8s.io/v1') {
        // Discovery: KubernetesObjectApi maps kind → resource through it.
        res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'rbac.authorization.k8s.io/v1', resources: [
          { name: 'clusterroles', namespaced: false, kind: 'ClusterRole', verbs: ['patch'] },
          { name: 'clusterrolebindings', namespaced: false, kind: 'ClusterRoleBinding', verbs: ['patch'] },
        ] }));
      } else if (req.method === 'PATCH') {
        res.end(b);
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  dir = await mkdtemp(join(tmpdir(), 'pullproof-kubeapi-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: fake, user: { token: fake-token } }]
contexts: [{ name: fake, context: { cluster: fake, user: fake } }]
current-context: fake
`);
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
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
