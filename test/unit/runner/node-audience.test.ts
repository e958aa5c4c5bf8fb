import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_AUDIENCE_LABEL, syncNodeAudienceRbac } from '../../../harness/runner/node-audience.ts';
import { RBAC_DISCOVERY, startFakeApiServer, type FakeApiServer } from '../../support/fake-api-server.ts';

// The stand-in API server holds labelled RBAC from an "earlier run" and records what the sync
// deletes and applies.
const labelled = (kind: string, name: string) => ({ kind, apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name, labels: { [NODE_AUDIENCE_LABEL]: 'true' } } });
let api: FakeApiServer;

beforeAll(async () => {
  api = await startFakeApiServer((req) => {
    if (req.method === 'GET' && req.url.startsWith('/apis/rbac.authorization.k8s.io/v1/clusterroles?')) {
      return { kind: 'ClusterRoleList', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: {}, items: [labelled('ClusterRole', 'pullproof-node-audience-old'), labelled('ClusterRole', 'pullproof-node-audience-keep')] };
    }
    if (req.method === 'GET' && req.url.startsWith('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?')) {
      return { kind: 'ClusterRoleBindingList', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: {}, items: [labelled('ClusterRoleBinding', 'pullproof-node-audience-old-nodes'), labelled('ClusterRoleBinding', 'pullproof-node-audience-keep-nodes')] };
    }
    if (req.url === '/apis/rbac.authorization.k8s.io/v1') return RBAC_DISCOVERY;
    if (req.method === 'DELETE') return { kind: 'Status', apiVersion: 'v1', status: 'Success' };
    if (req.method === 'PATCH') return req.body;
    return undefined;
  });
});

afterAll(async () => {
  await api.close();
});

describe('node-audience RBAC on a reused cluster', () => {
  it('deletes labelled grants no scenario makes now and applies the current ones, labelled', async () => {
    const { pruned } = await syncNodeAudienceRbac(api.kubeconfig, [{ roleName: 'pullproof-node-audience-keep', audience: 'pullproof-registry.abc', serviceAccountNames: ['allowed'] }]);
    expect(pruned).toEqual(['ClusterRoleBinding/pullproof-node-audience-old-nodes', 'ClusterRole/pullproof-node-audience-old']);
    expect(api.seen.filter((r) => r.method === 'DELETE').map((r) => r.url.split('?')[0])).toEqual([
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pullproof-node-audience-old-nodes',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/pullproof-node-audience-old',
    ]);
    expect(api.seen.filter((r) => r.method === 'GET' && r.url.includes('labelSelector')).every((r) => r.url.includes(encodeURIComponent(`${NODE_AUDIENCE_LABEL}=true`)))).toBe(true);
    const applied = api.seen.filter((r) => r.method === 'PATCH').map((r) => JSON.parse(r.body) as { kind: string; metadata: { name: string; labels: Record<string, string> } });
    expect(applied.map((o) => [o.kind, o.metadata.name, o.metadata.labels[NODE_AUDIENCE_LABEL]])).toEqual([
      ['ClusterRole', 'pullproof-node-audience-keep', 'true'],
      ['ClusterRoleBinding', 'pullproof-node-audience-keep-nodes', 'true'],
    ]);
  });
});
