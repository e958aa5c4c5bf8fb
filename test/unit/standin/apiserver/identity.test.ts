import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects, fetchIssuerTrust } from '../../../../harness/cluster/kube-api.ts';
import { nodeAudienceRbac } from '../../../../harness/cluster/node-audience-rbac.ts';
import { syncNodeAudienceRbac } from '../../../../harness/runner/node-audience.ts';
import { startApiServer, type StartedApiServer } from '../../../../standin/apiserver/index.ts';
import { apiError, BOOTSTRAP, ISSUER, serviceAccountKeys, startPlain, until, type Harness } from './support.ts';

let h: Harness;
let core: CoreV1Api;

beforeAll(async () => {
  h = await startPlain();
  core = h.kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await h.close();
});

describe('stand-in API server: identity, RBAC and loudness', () => {
  it('issues TokenRequest tokens with kube-apiserver claims, verifiable against the served JWKS', async () => {
    const trust = await fetchIssuerTrust(h.kubeconfigPath);
    expect(trust.issuer).toBe(ISSUER);
    expect(trust.discovery).toEqual({ issuer: ISSUER, jwks_uri: `${h.server.url.replace('http:', 'https:')}/openid/v1/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] });

    await core.createNamespace({ body: { metadata: { name: 'tok' } } });
    const sa = await core.createNamespacedServiceAccount({ namespace: 'tok', body: { metadata: { name: 'puller' } } });
    await core.createNode({ body: { metadata: { name: 'worker' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } } });
    const node = await core.readNode({ name: 'worker' });
    const pod = await core.createNamespacedPod({ namespace: 'tok', body: { metadata: { name: 'p' }, spec: { nodeName: 'worker', serviceAccountName: 'puller', containers: [{ name: 'app', image: 'x' }] } } });

    const before = Math.floor(Date.now() / 1000);
    const tr = await core.createNamespacedServiceAccountToken({
      namespace: 'tok',
      name: 'puller',
      body: { spec: { audiences: ['pullproof-registry'], boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: pod.metadata?.uid ?? '' } } },
    });
    const token = tr.status?.token ?? '';
    expect(tr.spec?.expirationSeconds).toBe(3600);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: trust.jwks.keys as unknown as JWK[] }), { issuer: ISSUER, audience: 'pullproof-registry' });
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: (trust.jwks.keys[0] as { kid: string }).kid });
    // keyIDFromPublicKey: base64url(sha256(PKIX DER)).
    const der = Buffer.from(h.publicKeyPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(decodeProtectedHeader(token).kid).toBe((await import('node:crypto')).createHash('sha256').update(der).digest('base64url'));
    expect(payload).toEqual({
      aud: ['pullproof-registry'],
      exp: expect.any(Number) as number,
      iat: expect.any(Number) as number,
      iss: ISSUER,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
      nbf: expect.any(Number) as number,
      sub: 'system:serviceaccount:tok:puller',
      'kubernetes.io': {
        namespace: 'tok',
        node: { name: 'worker', uid: node.metadata?.uid },
        pod: { name: 'p', uid: pod.metadata?.uid },
        serviceaccount: { name: 'puller', uid: sa.metadata?.uid },
      },
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(new Date(tr.status?.expirationTimestamp ?? 0).getTime() / 1000).toBe(payload.exp);
  });

  it('refuses token requests as kube-apiserver does', async () => {
    const missing = await apiError(core.createNamespacedServiceAccountToken({ namespace: 'tok', name: 'ghost', body: { spec: { audiences: ['a'] } } }));
    expect(missing.body.message).toBe('serviceaccounts "ghost" not found');
    const short = await apiError(core.createNamespacedServiceAccountToken({ namespace: 'tok', name: 'puller', body: { spec: { audiences: ['a'], expirationSeconds: 300 } } }));
    expect(short.code).toBe(422);
    expect(short.body.message).toBe('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes');
    const stale = await apiError(core.createNamespacedServiceAccountToken({ namespace: 'tok', name: 'puller', body: { spec: { audiences: ['a'], boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'old-uid' } } } }));
    expect(stale.code).toBe(409);
    expect(stale.body.message).toBe('Operation cannot be fulfilled on Pod "p": the UID in the bound object reference (old-uid) does not match the UID in record. The object might have been deleted and then recreated');
    const defaults = await core.createNamespacedServiceAccountToken({ namespace: 'tok', name: 'puller', body: { spec: {} } });
    expect(defaults.spec?.audiences).toEqual([ISSUER]);
  });

  it('applies RBAC with server-side apply twice (converging), lists by label and deletes', async () => {
    const grant = { roleName: 'pullproof-node-audience', audience: 'pullproof-registry' };
    await syncNodeAudienceRbac(h.kubeconfigPath, [grant]);
    const rbac = h.kc.makeApiClient(RbacAuthorizationV1Api);
    const first = await rbac.readClusterRole({ name: 'pullproof-node-audience' });
    await applyObjects(h.kubeconfigPath, nodeAudienceRbac(grant).map((o) => ({ ...o, metadata: { ...o.metadata, labels: { 'pullproof.dev/node-audience': 'true' } } })));
    const second = await rbac.readClusterRole({ name: 'pullproof-node-audience' });
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(second.rules).toEqual([{ verbs: ['request-serviceaccounts-token-audience'], apiGroups: [''], resources: ['pullproof-registry'] }]);
    const listed = await rbac.listClusterRoleBinding({ labelSelector: 'pullproof.dev/node-audience=true' });
    expect(listed.items.map((b) => b.metadata?.name)).toEqual(['pullproof-node-audience-nodes']);
    const { pruned } = await syncNodeAudienceRbac(h.kubeconfigPath, []);
    expect(pruned).toEqual(['ClusterRoleBinding/pullproof-node-audience-nodes', 'ClusterRole/pullproof-node-audience']);
    expect((await rbac.listClusterRole({ labelSelector: 'pullproof.dev/node-audience' })).items).toEqual([]);
    // The generic object client patches with SSA through discovery of the group.
    const objects = KubernetesObjectApi.makeApiClient(h.kc);
    await objects.patch({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules: [] }, undefined, undefined, 'pullproof', true, PatchStrategy.ServerSideApply);
    expect((await rbac.readClusterRole({ name: 'r' })).metadata?.name).toBe('r');
  });

  it('merges pod status with a strategic merge patch keyed by condition type and container name', async () => {
    const patch = (body: unknown) => fetch(`${h.server.url}/api/v1/namespaces/tok/pods/p/status`, { method: 'PATCH', headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/strategic-merge-patch+json' }, body: JSON.stringify(body) });
    await patch({ status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }], containerStatuses: [{ name: 'app', ready: false }] } });
    const res = await patch({ status: { $setElementOrder: undefined, '$setElementOrder/conditions': [{ type: 'Initialized' }, { type: 'Ready' }], conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', ready: true }] } });
    expect(res.status).toBe(200);
    const pod = await core.readNamespacedPod({ namespace: 'tok', name: 'p' });
    expect(pod.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['Initialized=True', 'Ready=True']);
    expect(pod.status?.containerStatuses).toEqual([{ name: 'app', ready: true }]);
  });

  it('is loud about what it does not emulate, and 401s credentials it cannot verify', async () => {
    const headers = { authorization: `Bearer ${BOOTSTRAP}` };
    const apps = await fetch(`${h.server.url}/apis/apps/v1/namespaces/tok/deployments`, { headers });
    expect(apps.status).toBe(501);
    const cm = await fetch(`${h.server.url}/api/v1/namespaces/tok/configmaps/x`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/json-patch+json' }, body: '[]' });
    expect(cm.status).toBe(501);
    const nowhere = await fetch(`${h.server.url}/no/such/path`, { headers });
    expect(nowhere.status).toBe(404);
    expect(h.server.unimplemented()).toEqual(['GET /apis/apps/v1/namespaces/tok/deployments', 'PATCH /api/v1/namespaces/tok/configmaps/x (application/json-patch+json)', 'GET /no/such/path']);
    expect(h.logs.some((l) => l.includes('"unimplemented":"GET /apis/apps/v1/namespaces/tok/deployments"'))).toBe(true);

    const bad = await fetch(`${h.server.url}/api/v1/namespaces`, { headers: { authorization: 'Bearer abcdef.wrongwrongwrongw' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const anonymous = await fetch(`${h.server.url}/api/v1/namespaces/tok/pods`);
    expect(anonymous.status).toBe(403);
    expect(((await anonymous.json()) as { message: string }).message).toBe('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "tok"');
    expect(await (await fetch(`${h.server.url}/readyz`)).text()).toBe('ok');
    expect(h.logs.join('\n')).not.toContain('wrongwrongwrongw');
  });
});

describe('stand-in API server over TLS with client certificates', () => {
  let dir: string;
  let server: StartedApiServer;
  const pem = (name: string): Promise<string> => readFile(join(dir, name), 'utf8');
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pullproof-standin-tls-'));
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=kubernetes');
    await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'admin.key', '-out', 'admin.csr', '-subj', '/O=kubeadm:cluster-admins/CN=kubernetes-admin');
    openssl('x509', '-req', '-in', 'admin.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'admin.crt', '-days', '1');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '1', '-subj', '/CN=rogue');
    server = await startApiServer({
      listen: { host: '127.0.0.1', port: 0 },
      tls: { cert: await pem('server.crt'), key: await pem('server.key'), clientCa: await pem('ca.crt') },
      serviceAccountSigningKey: serviceAccountKeys(),
      issuer: ISSUER,
      bootstrapTokens: [],
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const kubeconfig = async (cert: string, key: string): Promise<KubeConfig> => {
    const b64 = async (f: string): Promise<string> => Buffer.from(await pem(f)).toString('base64');
    const kc = new KubeConfig();
    kc.loadFromString(`apiVersion: v1
kind: Config
clusters: [{ name: kind-standin, cluster: { server: "${server.url}", certificate-authority-data: ${await b64('ca.crt')} } }]
users: [{ name: kind-standin, user: { client-certificate-data: ${await b64(cert)}, client-key-data: ${await b64(key)} } }]
contexts: [{ name: kind-standin, context: { cluster: kind-standin, user: kind-standin } }]
current-context: kind-standin
`);
    return kc;
  };

  it('serves a kubeadm admin client certificate and 401s a certificate from another CA', async () => {
    const admin = (await kubeconfig('admin.crt', 'admin.key')).makeApiClient(CoreV1Api);
    await admin.createNamespace({ body: { metadata: { name: 'tls' } } });
    await until(() => admin.readNamespacedServiceAccount({ namespace: 'tls', name: 'default' }).catch(() => undefined));
    const rogue = (await kubeconfig('rogue.crt', 'rogue.key')).makeApiClient(CoreV1Api);
    const refused = await apiError(rogue.listNamespace());
    expect(refused.code).toBe(401);
  });
});
