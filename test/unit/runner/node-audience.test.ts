import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_AUDIENCE_LABEL, syncNodeAudienceRbac } from '../../../harness/runner/node-audience.ts';

// A loopback stand-in for the API server: it holds labelled RBAC from an "earlier run" and records
// what the sync deletes and applies.
const requests: { method: string; url: string; body: string }[] = [];
let server: Server;
let dir: string;
let kubeconfig: string;

const labelled = (kind: string, name: string) => ({ kind, apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name, labels: { [NODE_AUDIENCE_LABEL]: 'true' } } });

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void body(req).then((b) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: b });
      res.setHeader('content-type', 'application/json');
      const url = req.url ?? '';
      if (req.method === 'GET' && url.startsWith('/apis/rbac.authorization.k8s.io/v1/clusterroles?')) {
        res.end(JSON.stringify({ kind: 'ClusterRoleList', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: {}, items: [labelled('ClusterRole', 'pullproof-node-audience-old'), labelled('ClusterRole', 'pullproof-node-audience-keep')] }));
      } else if (req.method === 'GET' && url.startsWith('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?')) {
        res.end(JSON.stringify({ kind: 'ClusterRoleBindingList', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: {}, items: [labelled('ClusterRoleBinding', 'pullproof-node-audience-old-nodes'), labelled('ClusterRoleBinding', 'pullproof-node-audience-keep-nodes')] }));
      } else if (url === '/apis/rbac.authorization.k8s.io/v1') {
        res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'rbac.authorization.k8s.io/v1', resources: [
          { name: 'clusterroles', namespaced: false, kind: 'ClusterRole', verbs: ['patch'] },
          { name: 'clusterrolebindings', namespaced: false, kind: 'ClusterRoleBinding', verbs: ['patch'] },
        ] }));
      } else if (req.method === 'DELETE') {
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success' }));
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
  dir = await mkdtemp(join(tmpdir(), 'pullproof-rbac-'));
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

describe('node-audience RBAC on a reused cluster', () => {
  it('deletes labelled grants no scenario makes now and applies the current ones, labelled', async () => {
    const { pruned } = await syncNodeAudienceRbac(kubeconfig, [{ roleName: 'pullproof-node-audience-keep', audience: 'pullproof-registry.abc', serviceAccountNames: ['allowed'] }]);
    expect(pruned).toEqual(['ClusterRoleBinding/pullproof-node-audience-old-nodes', 'ClusterRole/pullproof-node-audience-old']);
    expect(requests.filter((r) => r.method === 'DELETE').map((r) => r.url.split('?')[0])).toEqual([
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pullproof-node-audience-old-nodes',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/pullproof-node-audience-old',
    ]);
    expect(requests.filter((r) => r.method === 'GET' && r.url.includes('labelSelector')).every((r) => r.url.includes(encodeURIComponent(`${NODE_AUDIENCE_LABEL}=true`)))).toBe(true);
    const applied = requests.filter((r) => r.method === 'PATCH').map((r) => JSON.parse(r.body) as { kind: string; metadata: { name: string; labels: Record<string, string> } });
    expect(applied.map((o) => [o.kind, o.metadata.name, o.metadata.labels[NODE_AUDIENCE_LABEL]])).toEqual([
      ['ClusterRole', 'pullproof-node-audience-keep', 'true'],
      ['ClusterRoleBinding', 'pullproof-node-audience-keep-nodes', 'true'],
    ]);
  });
});
