import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';
import {
  authorizationFor,
  busyboxImage,
  pushImage,
  registryAuthFor,
  RegistryRequestError,
  startRegistry,
  startTokenService,
  uniqueTag,
  type StartedRegistry,
  type TokenService,
} from '../../../registry/index.ts';
import { describeWithDocker } from '../../support/docker.ts';
import { containerdUnavailableReason, ctrSession, type CtrSession } from '../../support/registry-ctr.ts';
import { BAD_TOKEN_KINDS, badToken, randomAdmin, SA_AUDIENCE, TEST_POLICY } from '../../support/registry-fixtures.ts';

// Real distribution registry (registry:3 pinned, or the offline 2.8 build) + the token service +
// real containerd pulls through `ctr`, the client kind nodes use.

const SERVICE = 'pullproof-it-registry';

describeWithDocker('token-auth registry with containerd pulls', () => {
  let issuer: LocalServiceAccountIssuer;
  let service: TokenService;
  let registry: StartedRegistry;
  let ctr: CtrSession;
  let auditDir: string;
  const admin = randomAdmin();
  const tag = uniqueTag('it');
  const secrets: string[] = [admin.password];
  const ref = (repository: string, reference = tag): string => `${registry.host}/${repository}:${reference}`;
  const saToken = async (namespace: string, name: string): Promise<string> => {
    const token = await issuer.mint({ namespace, serviceAccountName: name, audience: SA_AUDIENCE, pod: { name: `${name}-pod`, uid: `${name}-pod-uid` }, node: { name: 'kind-worker', uid: 'node-uid' } });
    secrets.push(token);
    return token;
  };

  beforeAll(async () => {
    const missing = containerdUnavailableReason();
    if (missing) throw new Error(`these tests pull with real containerd: ${missing}`);
    issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
    auditDir = await mkdtemp(join(tmpdir(), 'pullproof-audit-'));
    service = await startTokenService({
      service: SERVICE,
      admin,
      policy: TEST_POLICY,
      serviceAccountAudience: SA_AUDIENCE,
      serviceAccountIssuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }],
      auditFile: join(auditDir, 'audit.jsonl'),
    });
    registry = await startRegistry({ auth: registryAuthFor(service) });
    ctr = ctrSession();
    const image = await busyboxImage();
    for (const repository of ['team-a/app', 'team-b/app', 'shared/app']) {
      await pushImage({ registryUrl: registry.url, repository, tag, image, credentials: admin });
    }
  });

  afterAll(async () => {
    await ctr?.cleanup();
    await registry?.stop();
    await service?.close();
    if (auditDir) await rm(auditDir, { recursive: true, force: true });
  });

  it('lets a service account granted team-a/* pull team-a/app', async () => {
    const result = await ctr.pull(ref('team-a/app'), { username: 'web', password: await saToken('team-a', 'web') });
    // ctr reports a failed pull as a final "ctr: …" line; logrus lines such as level=error msg="failed to get content info" error="context canceled" also appear on successful pulls.
    expect(result.stderr).not.toMatch(/^ctr: /m);
    expect(result.ok, result.stderr).toBe(true);
    const entry = service.auditFor({ namespace: 'team-a', serviceAccount: 'web' }).at(-1);
    expect(entry).toMatchObject({ outcome: 'granted', grantedScopes: ['repository:team-a/app:pull'], pod: { name: 'web-pod', uid: 'web-pod-uid' }, node: { name: 'kind-worker' } });
  });

  it("refuses team-b/app to the same service account with containerd's insufficient_scope", async () => {
    const result = await ctr.pull(ref('team-b/app'), { username: 'web', password: await saToken('team-a', 'web') });
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain('pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed');
    const entry = service.auditFor({ namespace: 'team-a', serviceAccount: 'web' }).at(-1);
    expect(entry).toMatchObject({ outcome: 'denied', requestedScopes: ['repository:team-b/app:pull'], grantedScopes: [] });
  });

  it.each(BAD_TOKEN_KINDS)('refuses a pull with a service-account token with %s', async (kind) => {
    const token = await badToken(issuer, kind, { namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE });
    secrets.push(token);
    const before = service.audit.entries().length;
    const result = await ctr.pull(ref('team-a/app'), { username: 'web', password: token });
    expect(result.ok).toBe(false);
    // POST → 401 → containerd falls back to GET (only on 400/401/404/405) → 401 again (reference §3.1/§3.2).
    expect(result.stderr).toMatch(/failed to fetch oauth token: unexpected status from GET request to http:\/\/127\.0\.0\.1:\d+\/token\?scope=repository%3Ateam-a%2Fapp%3Apull&service=pullproof-it-registry: 401 Unauthorized/);
    const entries = service.audit.entries().slice(before);
    expect(entries.length).toBeGreaterThanOrEqual(2);
    for (const entry of entries) expect(entry).toMatchObject({ status: 401, outcome: 'rejected', grantedScopes: [] });
  });

  it('keeps a pull-only grant from pushing', async () => {
    const image = await busyboxImage({ command: ['/bin/busybox', 'sleep', '7'] });
    const pushTag = uniqueTag('pull-only');
    const attempt = pushImage({ registryUrl: registry.url, repository: 'team-a/app', tag: pushTag, image, credentials: { username: 'web', password: await saToken('team-a', 'web') } });
    await expect(attempt).rejects.toBeInstanceOf(RegistryRequestError);
    await expect(attempt).rejects.toMatchObject({ status: 401 });
    const entry = service.auditFor({ namespace: 'team-a', serviceAccount: 'web' }).at(-1);
    expect(entry).toMatchObject({ outcome: 'partial', requestedScopes: ['repository:team-a/app:pull,push'], grantedScopes: ['repository:team-a/app:pull'] });
    const authorization = await authorizationFor({ registryUrl: registry.url, scope: 'repository:team-a/app:pull', credentials: admin });
    const head = await fetch(`${registry.url}/v2/team-a/app/manifests/${pushTag}`, { method: 'HEAD', headers: { authorization: authorization ?? '' } });
    expect(head.status).toBe(404);
  });

  it('lets the admin push a new image (as an OCI index) that then pulls', async () => {
    const image = await busyboxImage({ command: ['/bin/busybox', 'sleep', '11'], withIndex: true });
    const pushTag = uniqueTag('admin');
    const pushed = await pushImage({ registryUrl: registry.url, repository: 'team-a/other', tag: pushTag, image, credentials: admin });
    expect(pushed.digest).toBe(image.index?.digest);
    const authorization = await authorizationFor({ registryUrl: registry.url, scope: 'repository:team-a/other:pull', credentials: admin });
    const head = await fetch(`${registry.url}/v2/team-a/other/manifests/${pushTag}`, { method: 'HEAD', headers: { authorization: authorization ?? '', accept: image.index?.mediaType ?? '' } });
    expect(head.headers.get('docker-content-digest')).toBe(image.index?.digest);
    const result = await ctr.pull(ref('team-a/other', pushTag), { username: 'web', password: await saToken('team-a', 'web') });
    // ctr reports a failed pull as a final "ctr: …" line; logrus lines such as level=error msg="failed to get content info" error="context canceled" also appear on successful pulls.
    expect(result.stderr).not.toMatch(/^ctr: /m);
    expect(result.ok, result.stderr).toBe(true);
  });

  it('exchange: role R trusted for ns-a/* lets ns-a/sa1 pull shared/app with the minted credential', async () => {
    const response = await fetch(service.exchangeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ serviceAccountToken: await saToken('ns-a', 'sa1'), role: 'R', annotations: { 'pullproof.dev/role': 'R' } }),
    });
    expect(response.status).toBe(200);
    const credential = (await response.json()) as { username: string; password: string };
    secrets.push(credential.password);
    const result = await ctr.pull(ref('shared/app'), credential);
    // ctr reports a failed pull as a final "ctr: …" line; logrus lines such as level=error msg="failed to get content info" error="context canceled" also appear on successful pulls.
    expect(result.stderr).not.toMatch(/^ctr: /m);
    expect(result.ok, result.stderr).toBe(true);
    const entries = service.auditFor({ namespace: 'ns-a', serviceAccount: 'sa1' });
    expect(entries[0]).toMatchObject({ endpoint: 'exchange', outcome: 'granted', role: 'R', annotations: { 'pullproof.dev/role': 'R' } });
    expect(entries.at(-1)).toMatchObject({ endpoint: 'token', identity: 'exchange', role: 'R', grantedScopes: ['repository:shared/app:pull'] });
  });

  it('exchange: the same role refuses ns-b/sa1, whose own token cannot pull shared/app either', async () => {
    const token = await saToken('ns-b', 'sa1');
    const response = await fetch(service.exchangeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serviceAccountToken: token, role: 'R', annotations: {} }) });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'access_denied' });
    const result = await ctr.pull(ref('shared/app'), { username: 'sa1', password: token });
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain('insufficient_scope: authorization failed');
  });

  it('leaves no token or password in the audit log of the run', async () => {
    await service.close(); // flush; afterAll's close is idempotent
    const text = await readFile(join(auditDir, 'audit.jsonl'), 'utf8');
    expect(text.trim().split('\n').length).toBeGreaterThan(10);
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text.includes(secret), 'a secret handed to the service appears in the audit log').toBe(false);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\./);
    expect(text).not.toMatch(/pp[xr]_[A-Za-z0-9_-]{20,}/);
  });
});
