import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeJwt, decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';
import { startTokenService, type TokenService } from '../../../registry/index.ts';
import { BAD_TOKEN_KINDS, BAD_TOKEN_REASON, badToken, randomAdmin, SA_AUDIENCE, TEST_POLICY } from '../../support/registry-fixtures.ts';

// In-process HTTP on loopback: no Docker needed, so this suite is not gated on the engine.

const SERVICE = 'pullproof-test-registry';
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let issuer: LocalServiceAccountIssuer;
let service: TokenService;
const admin = randomAdmin();
let teamAToken: string;
let auditDir: string;
/** Every secret this suite handed to the service: none may appear in the audit file. */
const secrets: string[] = [admin.password];

interface Answer {
  status: number;
  body: Record<string, unknown>;
  contentType: string | null;
}

async function get(query: string, authorization?: string): Promise<Answer> {
  const response = await fetch(`${service.realm}?${query}`, { headers: authorization === undefined ? {} : { authorization } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, contentType: response.headers.get('content-type') };
}

async function post(path: string, body: string, contentType: string): Promise<Answer> {
  const response = await fetch(`${service.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, contentType: response.headers.get('content-type') };
}

/** Sends raw bytes (for requests fetch refuses to build) and returns the status line + body. */
async function raw(request: string): Promise<{ status: number; body: string }> {
  const { host, port } = service.address;
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('error', reject);
    socket.end(request);
  });
}

function accessOf(token: string): { type: string; name: string; actions: string[] }[] {
  return decodeJwt(token).access as { type: string; name: string; actions: string[] }[];
}

beforeAll(async () => {
  issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
  auditDir = await mkdtemp(join(tmpdir(), 'pullproof-audit-'));
  service = await startTokenService({
    auditFile: join(auditDir, 'audit.jsonl'),
    service: SERVICE,
    admin,
    policy: TEST_POLICY,
    serviceAccountAudience: SA_AUDIENCE,
    serviceAccountIssuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }],
  });
  teamAToken = await issuer.mint({ namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE, pod: { name: 'web-0', uid: 'pod-1' }, node: { name: 'node-1', uid: 'node-uid' } });
  secrets.push(teamAToken);
});

afterAll(async () => {
  await service.close();
  await rm(auditDir, { recursive: true, force: true });
});

describe('token endpoint: distribution token spec', () => {
  it('answers GET with token, access_token, expires_in and issued_at, granting requested ∩ allowed', async () => {
    const answer = await get(`service=${SERVICE}&scope=repository:team-a/app:pull,push&scope=repository:team-b/app:pull`, basic('web', teamAToken));
    expect(answer.status).toBe(200);
    expect(answer.body.token).toBe(answer.body.access_token);
    expect(answer.body.expires_in).toBe(300);
    expect(answer.body.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const token = String(answer.body.token);
    expect(accessOf(token)).toEqual([{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: service.issuer, aud: SERVICE, sub: 'system:serviceaccount:team-a:web' });
    expect(decodeProtectedHeader(token).x5c).toHaveLength(1);
    await jwtVerify(token, await importX509(service.rootCertificatePem, 'ES256'), { issuer: service.issuer, audience: SERVICE });
  });

  it('answers the OAuth2 POST form exactly as containerd sends it', async () => {
    const form = new URLSearchParams({ client_id: 'containerd-client', grant_type: 'password', password: teamAToken, scope: 'repository:team-a/app:pull', service: SERVICE, username: 'web' });
    const answer = await post('/token', form.toString(), 'application/x-www-form-urlencoded; charset=utf-8');
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('repository:team-a/app:pull');
    expect(accessOf(String(answer.body.access_token))).toEqual([{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
  });

  it('treats an empty grant as a success with an empty access list', async () => {
    const answer = await get(`service=${SERVICE}&scope=repository:team-b/app:pull`, basic('web', teamAToken));
    expect(answer.status).toBe(200);
    expect(accessOf(String(answer.body.token))).toEqual([]);
    const [entry] = service.audit.entries().slice(-1);
    expect(entry).toMatchObject({ outcome: 'denied', requestedScopes: ['repository:team-b/app:pull'], grantedScopes: [] });
    expect(entry?.denyReason).toMatch(/no grant .*team-b\/app/);
  });

  it('issues a refresh token for access_type=offline and honours it for grant_type=refresh_token', async () => {
    const first = await post('/token', new URLSearchParams({ grant_type: 'password', username: 'web', password: teamAToken, service: SERVICE, client_id: 'x', access_type: 'offline' }).toString(), 'application/x-www-form-urlencoded');
    expect(first.status).toBe(200);
    const refresh = String(first.body.refresh_token);
    secrets.push(refresh, String(first.body.access_token));
    expect(refresh).toMatch(/^ppr_/);
    const second = await post('/token', new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, service: SERVICE, client_id: 'x', scope: 'repository:team-a/app:pull' }).toString(), 'application/x-www-form-urlencoded');
    expect(second.status).toBe(200);
    expect(accessOf(String(second.body.access_token))).toEqual([{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
  });

  it('decides each account on its own and follows a policy change at once for a scope it answered before', async () => {
    const scope = `service=${SERVICE}&scope=repository:team-a/app:pull,push`;
    const builderToken = await issuer.mint({ namespace: 'team-a', serviceAccountName: 'builder', audience: SA_AUDIENCE });
    const outsiderToken = await issuer.mint({ namespace: 'team-b', serviceAccountName: 'web', audience: SA_AUDIENCE });
    secrets.push(builderToken, outsiderToken);
    const pullOnly = [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }];
    // The same scope, one account after the other, twice: no account gets another's answer.
    for (let round = 0; round < 2; round++) {
      expect(accessOf(String((await get(scope, basic('web', teamAToken))).body.token))).toEqual(pullOnly);
      expect(accessOf(String((await get(scope, basic('web', outsiderToken))).body.token))).toEqual([]);
      expect(accessOf(String((await get(scope, basic('builder', builderToken))).body.token))).toEqual([{ type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] }]);
    }
    try {
      service.setPolicy({ subjects: [{ match: { namespace: 'team-b', serviceAccount: 'web' }, grants: [{ repositories: ['team-a/*'], actions: ['pull'] }] }], roles: [] });
      expect(accessOf(String((await get(scope, basic('web', teamAToken))).body.token))).toEqual([]);
      expect(accessOf(String((await get(scope, basic('web', outsiderToken))).body.token))).toEqual(pullOnly);
    } finally {
      service.setPolicy(TEST_POLICY);
    }
    expect(accessOf(String((await get(scope, basic('web', teamAToken))).body.token))).toEqual(pullOnly);
    expect(accessOf(String((await get(scope, basic('web', outsiderToken))).body.token))).toEqual([]);
  });

  it('grants the admin every requested action including the catalog', async () => {
    const answer = await get(`service=${SERVICE}&scope=repository:any/thing:pull,push,delete&scope=registry:catalog:*`, basic(admin.username, admin.password));
    expect(answer.status).toBe(200);
    expect(accessOf(String(answer.body.token))).toEqual([
      { type: 'repository', name: 'any/thing', actions: ['delete', 'pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    expect((await get(`service=${SERVICE}&scope=repository:any/thing:pull`, basic(admin.username, `${admin.password}x`))).status).toBe(401);
  });

  it('tolerates clock skew within the 30 s leeway on exp and nbf, not beyond', async () => {
    const now = Math.floor(Date.now() / 1000);
    const query = `service=${SERVICE}&scope=repository:team-a/app:pull`;
    const base = { namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE };
    const justExpired = await issuer.mint({ ...base, issuedAt: now - 610, notBefore: now - 610, expiresInSeconds: 600 });
    const slightlyEarly = await issuer.mint({ ...base, issuedAt: now + 10, notBefore: now + 10 });
    const longExpired = await issuer.mint({ ...base, issuedAt: now - 700, notBefore: now - 700, expiresInSeconds: 600 });
    secrets.push(justExpired, slightlyEarly, longExpired);
    expect((await get(query, basic('web', justExpired))).status).toBe(200);
    expect((await get(query, basic('web', slightlyEarly))).status).toBe(200);
    const refused = await get(query, basic('web', longExpired));
    expect(refused.status).toBe(401);
    expect(String(refused.body.detail)).toMatch(/expired/);
  });

  it.each(BAD_TOKEN_KINDS)('refuses a service-account token with %s (401, nothing granted, for that reason)', async (kind) => {
    const token = await badToken(issuer, kind, { namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE });
    secrets.push(token);
    const answer = await get(`service=${SERVICE}&scope=repository:team-a/app:pull`, basic('web', token));
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
    expect(String(answer.body.detail)).toContain(`service-account token rejected (${BAD_TOKEN_REASON[kind]})`);
    expect(service.audit.entries().at(-1)).toMatchObject({ outcome: 'rejected', grantedScopes: [] });
    expect(service.audit.entries().at(-1)?.denyReason).toContain(`(${BAD_TOKEN_REASON[kind]})`);
    expect(answer.body).not.toHaveProperty('token');
    expect(JSON.stringify(answer.body)).not.toContain(token);
  });
});

describe('token endpoint: adversarial input', () => {
  const valid = (): string => basic('web', teamAToken);
  const cases: [string, () => Promise<Answer | { status: number; body: string }>, number[]][] = [
    ['Authorization with another scheme', () => get(`service=${SERVICE}&scope=repository:team-a/app:pull`, `Bearer ${teamAToken}`), [400, 401]],
    ['Authorization Basic without a value', () => get(`service=${SERVICE}`, 'Basic '), [400, 401]],
    ['non-base64 Basic credentials', () => get(`service=${SERVICE}&scope=repository:team-a/app:pull`, 'Basic %%%not*base64'), [400, 401]],
    ['Basic credentials without a colon', () => get(`service=${SERVICE}`, `Basic ${Buffer.from('nocolon').toString('base64')}`), [400, 401]],
    ['Basic credentials that are not UTF-8', () => get(`service=${SERVICE}`, `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0xff]).toString('base64')}`), [400, 401]],
    ['a garbage password', () => get(`service=${SERVICE}&scope=repository:team-a/app:pull`, basic('web', 'hunter2')), [401]],
    ['no credentials at all', () => get(`service=${SERVICE}&scope=repository:team-a/app:pull`), [401]],
    ['a scope with extra colons', () => get(`service=${SERVICE}&scope=repository:team-a:app:x:pull`, valid()), [400]],
    ['a scope with ..', () => get(`service=${SERVICE}&scope=repository:team-a/../team-b/app:pull`, valid()), [400]],
    ['a scope with an empty name', () => get(`service=${SERVICE}&scope=repository::pull`, valid()), [400]],
    ['a scope with an empty component', () => get(`service=${SERVICE}&scope=repository:team-a//app:pull`, valid()), [400]],
    ['a repeated scope', () => get(`service=${SERVICE}&scope=repository:team-a/app:pull&scope=repository:team-a/app:pull`, valid()), [400]],
    ['an unknown service', () => get('service=other&scope=repository:team-a/app:pull', valid()), [400]],
    ['an unknown grant type', () => post('/token', `grant_type=client_credentials&service=${SERVICE}`, 'application/x-www-form-urlencoded'), [400]],
    ['authorization_code (reserved)', () => post('/token', `grant_type=authorization_code&code=x&service=${SERVICE}`, 'application/x-www-form-urlencoded'), [400]],
    ['a JSON body on the token endpoint', () => post('/token', '{"grant_type":"password"}', 'application/json'), [400]],
    ['a refresh token nobody issued', () => post('/token', `grant_type=refresh_token&refresh_token=ppr_forged&service=${SERVICE}`, 'application/x-www-form-urlencoded'), [401]],
    ['a password grant without password', () => post('/token', `grant_type=password&username=x&service=${SERVICE}`, 'application/x-www-form-urlencoded'), [400]],
    ['a 20 KiB form body', () => post('/token', `grant_type=password&username=x&password=${'a'.repeat(20_000)}&service=${SERVICE}`, 'application/x-www-form-urlencoded'), [400]],
    ['a 64 KiB Authorization header', () => raw(`GET /token?service=${SERVICE} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${'A'.repeat(64 * 1024)}\r\n\r\n`), [400]],
    ['a 64 KiB custom header', () => raw(`GET /token?service=${SERVICE} HTTP/1.1\r\nHost: x\r\nX-Junk: ${'j'.repeat(64 * 1024)}\r\n\r\n`), [400]],
    ['a garbage request line', () => raw('\x00\x01\x02 nonsense\r\n\r\n'), [400]],
    ['DELETE on the token endpoint', async () => {
      const response = await fetch(service.realm, { method: 'DELETE' });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, contentType: response.headers.get('content-type') };
    }, [405]],
  ];

  it.each(cases)('answers %s with a JSON error, grants nothing, and keeps serving', async (_label, send, statuses) => {
    const before = service.audit.entries().length;
    const answer = await send();
    expect(statuses).toContain(answer.status);
    const body: unknown = typeof answer.body === 'string' ? JSON.parse(answer.body) : answer.body;
    expect(body).toMatchObject({ error: expect.any(String) as string, detail: expect.any(String) as string });
    expect(body).not.toHaveProperty('token');
    for (const entry of service.audit.entries().slice(before)) expect(entry.grantedScopes).toEqual([]);
    const healthy = await get(`service=${SERVICE}&scope=repository:team-a/app:pull`, valid());
    expect(healthy.status).toBe(200);
  });

  it('survives 10,000 generated requests: never 5xx, always a JSON error unless the identity is valid, never more than the policy allows', async () => {
    const badTokens = await Promise.all(BAD_TOKEN_KINDS.map((kind) => badToken(issuer, kind, { namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE })));
    secrets.push(...badTokens);
    const statuses = new Map<number, number>();
    const scopeChar = fc.constantFrom('a', 'b', 'team-a', 'team-b', '/', ':', '.', '..', '-', '_', ',', '*', 'pull', 'push', 'delete', 'repository', 'registry', ' ', 'A', '%', '(', ')', 'localhost:5000');
    const scope = fc.oneof(
      fc.array(scopeChar, { maxLength: 8 }).map((parts) => parts.join('')),
      fc.tuple(fc.constantFrom('repository', 'registry', 'repo'), fc.constantFrom('team-a/app', 'team-b/app', 'team-a/x/y', 'a..b', '', 'host:5000/team-a/app'), fc.subarray(['pull', 'push', 'delete', '*', 'PULL'])).map(([t, n, a]) => `${t}:${n}:${a.join(',')}`),
    );
    const identity = fc.constantFrom('none', 'garbage', 'valid', 'bad-token', 'admin-wrong', 'forged-exchange', 'non-base64');
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST'),
      identity,
      badToken: fc.integer({ min: 0, max: badTokens.length - 1 }),
      garbage: fc.string({ maxLength: 40 }),
      scopes: fc.array(scope, { maxLength: 4 }),
      service: fc.constantFrom(SERVICE, SERVICE, SERVICE, 'other', ''),
      grantType: fc.constantFrom('password', 'password', 'refresh_token', 'client_credentials', '', 'PASSWORD'),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        runs++;
        const password =
          r.identity === 'valid' ? teamAToken
          : r.identity === 'bad-token' ? (badTokens[r.badToken] ?? '')
          : r.identity === 'admin-wrong' ? `${admin.password}!`
          : r.identity === 'forged-exchange' ? 'ppx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
          : r.garbage;
        const username = r.identity === 'admin-wrong' ? admin.username : 'u';
        let response: Response;
        if (r.method === 'GET') {
          const query = new URLSearchParams({ service: r.service });
          for (const s of r.scopes) query.append('scope', s);
          const headers: Record<string, string> = {};
          if (r.identity === 'non-base64') headers.authorization = `Basic ${r.garbage.replace(/[^\x21-\x7e]/g, '')}!`;
          else if (r.identity !== 'none') headers.authorization = basic(username, password);
          response = await fetch(`${service.realm}?${query.toString()}`, { headers });
        } else {
          const form = new URLSearchParams({ grant_type: r.grantType, service: r.service, client_id: 'fc', scope: r.scopes.join(' ') });
          if (r.grantType === 'refresh_token') form.set('refresh_token', password);
          else if (r.identity !== 'none') {
            form.set('username', username);
            form.set('password', password);
          }
          response = await fetch(service.realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
        }
        const body = (await response.json()) as Record<string, unknown>;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect([200, 400, 401]).toContain(response.status);
        expect(response.headers.get('content-type')).toBe('application/json');
        if (response.status !== 200) {
          expect(typeof body.error).toBe('string');
          expect(body).not.toHaveProperty('token');
          return;
        }
        // Only the valid SA token may ever obtain a token, and only team-a/<name> pull.
        expect(r.identity).toBe('valid');
        for (const entry of accessOf(String(body.access_token))) {
          expect(entry.type).toBe('repository');
          expect(entry.name).toMatch(/^team-a\/[^/]+$/);
          expect(entry.actions).toEqual(['pull']);
        }
      }),
      { numRuns: 10_000, seed: 4412 },
    );
    expect(runs).toBeGreaterThanOrEqual(10_000);
    // The generator must reach every outcome, or the property proves little.
    for (const status of [200, 400, 401]) expect(statuses.get(status) ?? 0).toBeGreaterThan(100);
  }, 120_000);
});

describe('issuer trust', () => {
  it('refuses an issuer until it is trusted at runtime, then accepts its tokens', async () => {
    const late = await LocalServiceAccountIssuer.create({ issuer: 'https://late-cluster.test' });
    const token = await late.mint({ namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE });
    expect((await get(`service=${SERVICE}&scope=repository:team-a/app:pull`, basic('web', token))).status).toBe(401);
    service.trustIssuer({ issuer: late.issuer, jwks: late.jwks() });
    const answer = await get(`service=${SERVICE}&scope=repository:team-a/app:pull`, basic('web', token));
    expect(answer.status).toBe(200);
    expect(accessOf(String(answer.body.token))).toEqual([{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
  });

  it('fetches the JWKS through OIDC discovery and rejects a discovery document naming another issuer', async () => {
    const discovered = await LocalServiceAccountIssuer.create({ issuer: 'https://discovered.test', algorithm: 'ES256' });
    const served = await discovered.serveDiscovery();
    try {
      service.trustIssuer({ issuer: discovered.issuer, discoveryUrl: served.url });
      const token = await discovered.mint({ namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE });
      expect((await get(`service=${SERVICE}&scope=repository:team-a/app:pull`, basic('web', token))).status).toBe(200);

      const impostor = await LocalServiceAccountIssuer.create({ issuer: 'https://impostor.test' });
      service.trustIssuer({ issuer: impostor.issuer, discoveryUrl: served.url }); // serves discovered.test's document
      const impostorToken = await impostor.mint({ namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE });
      const answer = await get(`service=${SERVICE}&scope=repository:team-a/app:pull`, basic('web', impostorToken));
      expect(answer.status).toBe(401);
      expect(String(answer.body.detail)).toMatch(/issuer_unreachable.*names issuer/);
    } finally {
      await served.close();
    }
  });
});

describe('exchange endpoint contract', () => {
  const exchange = (body: unknown, contentType = 'application/json'): Promise<Answer> => post('/exchange', typeof body === 'string' ? body : JSON.stringify(body), contentType);

  it('mints a credential for a trusted subject that then works as Basic credentials at the token endpoint', async () => {
    const saToken = await issuer.mint({ namespace: 'ns-a', serviceAccountName: 'sa1', audience: SA_AUDIENCE });
    const answer = await exchange({ serviceAccountToken: saToken, role: 'R', annotations: { 'example.com/purpose': 'test' } });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['expiresAt', 'expiresInSeconds', 'password', 'username']);
    secrets.push(saToken, String(answer.body.password));
    expect(answer.body.expiresInSeconds).toBe(900);
    expect(Date.parse(String(answer.body.expiresAt)) - Date.now()).toBeGreaterThan(890_000);
    expect(JSON.stringify(answer.body)).not.toContain(saToken);
    const granted = await get(`service=${SERVICE}&scope=repository:shared/app:pull&scope=repository:team-a/app:pull`, basic(String(answer.body.username), String(answer.body.password)));
    expect(granted.status).toBe(200);
    expect(accessOf(String(granted.body.token))).toEqual([{ type: 'repository', name: 'shared/app', actions: ['pull'] }]);
    expect((await get(`service=${SERVICE}&scope=repository:shared/app:pull`, basic('someone-else', String(answer.body.password)))).status).toBe(401);
  });

  it('answers 403 access_denied for an untrusted subject and for an unknown role', async () => {
    const saToken = await issuer.mint({ namespace: 'ns-b', serviceAccountName: 'sa1', audience: SA_AUDIENCE });
    const denied = await exchange({ serviceAccountToken: saToken, role: 'R', annotations: {} });
    expect(denied).toMatchObject({ status: 403, body: { error: 'access_denied' } });
    expect(String(denied.body.detail)).toContain('does not trust system:serviceaccount:ns-b:sa1');
    expect((await exchange({ serviceAccountToken: saToken, role: 'nope' })).status).toBe(403);
  });

  it.each(BAD_TOKEN_KINDS)('answers 401 invalid_token for an SA token with %s, without echoing it', async (kind) => {
    const token = await badToken(issuer, kind, { namespace: 'ns-a', serviceAccountName: 'sa1', audience: SA_AUDIENCE });
    const answer = await exchange({ serviceAccountToken: token, role: 'R' });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
    expect(String(answer.body.detail)).toContain(`service-account token rejected (${BAD_TOKEN_REASON[kind]})`);
    expect(JSON.stringify(answer.body)).not.toContain(token.split('.')[2] || token);
  });

  it.each([
    ['a non-JSON body', 'not json'],
    ['an array body', '[]'],
    ['a missing token', { role: 'R' }],
    ['a non-string role', { serviceAccountToken: 'x.y.z', role: 5 }],
    ['annotations that are not strings', { serviceAccountToken: 'x.y.z', role: 'R', annotations: { a: 1 } }],
    ['an unknown field', { serviceAccountToken: 'x.y.z', role: 'R', extra: true }],
  ])('answers 400 invalid_request for %s', async (_label, body) => {
    const answer = await exchange(body);
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('answers 400 for a non-JSON content type', async () => {
    expect((await exchange({ serviceAccountToken: 'x', role: 'R' }, 'text/plain')).status).toBe(400);
  });
});

describe('accepted audiences and static users', () => {
  it('accepts any configured audience, and none while the list is empty', async () => {
    const other = await issuer.mint({ namespace: 'team-a', serviceAccountName: 'web', audience: 'scenario-17-audience' });
    secrets.push(other);
    const query = `service=${SERVICE}&scope=repository:team-a/app:pull`;
    expect((await get(query, basic('web', other))).status).toBe(401);
    service.setServiceAccountAudiences([SA_AUDIENCE, 'scenario-17-audience']);
    expect((await get(query, basic('web', other))).status).toBe(200);
    expect((await get(query, basic('web', teamAToken))).status).toBe(200);
    service.setServiceAccountAudiences([]);
    const none = await get(query, basic('web', teamAToken));
    expect(none.status).toBe(401);
    expect(String(none.body.detail)).toMatch(/no audience is accepted/);
    service.setServiceAccountAudiences([SA_AUDIENCE]);
  });

  it('grants a static user exactly its own grants and refuses a wrong password', async () => {
    const password = `pull-secret-${Date.now()}`;
    secrets.push(password);
    service.setStaticUsers([{ username: 'web', password, grants: [{ repositories: ['secret-only/*'], actions: ['pull'] }] }]);
    const answer = await get(`service=${SERVICE}&scope=repository:secret-only/app:pull,push&scope=repository:team-a/app:pull`, basic('web', password));
    expect(answer.status).toBe(200);
    expect(accessOf(String(answer.body.token))).toEqual([{ type: 'repository', name: 'secret-only/app', actions: ['pull'] }]);
    expect(service.audit.entries().at(-1)).toMatchObject({ identity: 'static', subject: 'user:web', outcome: 'partial' });
    expect((await get(`service=${SERVICE}&scope=repository:secret-only/app:pull`, basic('web', `${password}x`))).status).toBe(401);
    // The same username with an SA token is still the service account, not the static user.
    const sa = await get(`service=${SERVICE}&scope=repository:team-a/app:pull`, basic('web', teamAToken));
    expect(accessOf(String(sa.body.token))).toEqual([{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
    expect(() => service.setStaticUsers([{ username: 'a:b', password: 'long-enough', grants: [] }])).toThrow(/RFC 7617/);
    service.setStaticUsers([]);
  });
});

describe('audit log of this run', () => {
  it('records decisions as JSON lines and contains no token or password', async () => {
    await service.close(); // flushes the file; later close in afterAll is a no-op
    const text = await readFile(join(auditDir, 'audit.jsonl'), 'utf8');
    const lines = text.trim().split('\n');
    expect(lines.length).toBeGreaterThan(10_000);
    for (const line of lines.slice(0, 50)) expect(JSON.parse(line)).toHaveProperty('time');
    expect(secrets.length).toBeGreaterThan(15);
    for (const secret of secrets) expect(text.includes(secret), 'a secret handed to the service appears in the audit log').toBe(false);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\./);
    expect(text).not.toMatch(/pp[xr]_[A-Za-z0-9_-]{20,}/);
    const sa = service.auditFor({ namespace: 'team-a', serviceAccount: 'web' });
    expect(sa.some((entry) => entry.outcome === 'granted' && entry.pod?.name === 'web-0' && entry.node?.name === 'node-1')).toBe(true);
    expect(sa.some((entry) => entry.outcome === 'denied' && entry.denyReason?.includes('team-b/app'))).toBe(true);
    // A rejected token is filed under the account it claimed to be, marked as a claim, never as an identity.
    const claimed = sa.filter((entry) => entry.outcome === 'rejected' && entry.denyReason?.includes('(wrong_audience)'));
    expect(claimed.length).toBeGreaterThan(0);
    for (const entry of claimed) {
      expect(entry.claimedServiceAccount).toEqual({ namespace: 'team-a', name: 'web' });
      expect(entry.serviceAccount).toBeUndefined();
      expect(entry.grantedScopes).toEqual([]);
    }
  });
});
