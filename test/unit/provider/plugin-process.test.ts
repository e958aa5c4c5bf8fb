import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';

// The plugin as kubelet runs it: a real child process, request on stdin.
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'provider', 'plugin', 'main.ts');
const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const IMAGE = 'registry.pullproof.test:5000/team-a/app:v1';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runPlugin(args: string[], stdin: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const request = (over: Record<string, unknown> = {}): string => JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: V1, image: IMAGE, ...over });

let token: string;
let tokenExp: number;
const servers: Server[] = [];
let okUrl: string;
let failUrl: string;
let slowUrl: string;
let plainHttpUrl: string;
let closedUrl: string;
let unauthorizedUrl: string;
const received: unknown[] = [];

beforeAll(async () => {
  const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
  token = await issuer.mint({ namespace: 'team-a', serviceAccountName: 'builder', audience: 'pullproof-registry', expiresInSeconds: 600 });
  tokenExp = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number }).exp;
  const ok = await listen((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url, contentType: req.headers['content-type'], body: JSON.parse(body) as unknown });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ username: 'exchanged-user', password: 'exchanged-secret-password', expiresInSeconds: 900, expiresAt: new Date(Date.now() + 900_000).toISOString() }));
    });
  });
  const fail = await listen((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'unavailable', detail: 'policy store offline' }));
  });
  const unauthorized = await listen((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'invalid_token', detail: 'audience mismatch' }));
  });
  unauthorizedUrl = unauthorized.url;
  servers.push(unauthorized.server);
  const slow = await listen(() => undefined); // never answers
  const plain = await listen((_req, res) => res.end('plain http'));
  const closed = await listen(() => undefined);
  await new Promise<void>((r) => closed.server.close(() => r()));
  servers.push(ok.server, fail.server, slow.server, plain.server);
  okUrl = ok.url;
  failUrl = fail.url;
  slowUrl = slow.url;
  plainHttpUrl = plain.url.replace('http://', 'https://');
  closedUrl = closed.url;
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

function expectCleanFailure(run: Run, exitCode: number, stderrPart: string | RegExp): void {
  expect(run.code).toBe(exitCode);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(typeof stderrPart === 'string' ? new RegExp(stderrPart.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : stderrPart);
  expect(run.stderr).not.toContain(token);
  expect(run.stderr).not.toContain(token.split('.')[2] ?? 'x');
}

describe('plugin bad input (real child process): exit code, one stderr line, empty stdout, no token', () => {
  const passthrough = ['--mode', 'passthrough'];
  const exchangeRequest = (): string => request({ serviceAccountToken: token, serviceAccountAnnotations: { 'pullproof.dev/role': 'team-a-pull' } });
  it('empty stdin', async () => {
    expectCleanFailure(await runPlugin(passthrough, ''), 1, 'empty stdin');
  });
  it('invalid JSON that carries a token never echoes it', async () => {
    expectCleanFailure(await runPlugin(passthrough, `{"serviceAccountToken": "${token}", oops}`), 1, 'stdin is not valid JSON');
  });
  it('wrong apiVersion', async () => {
    expectCleanFailure(await runPlugin(passthrough, request({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1', serviceAccountToken: token })), 1, 'request apiVersion "credentialprovider.kubelet.k8s.io/v1beta1" is not supported');
  });
  it('wrong kind', async () => {
    expectCleanFailure(await runPlugin(passthrough, request({ kind: 'CredentialProviderResponse', serviceAccountToken: token })), 1, 'request kind "CredentialProviderResponse" is not CredentialProviderRequest');
  });
  it('missing image', async () => {
    expectCleanFailure(await runPlugin(passthrough, request({ image: undefined, serviceAccountToken: token })), 1, 'request has no image');
  });
  it('passthrough without a token', async () => {
    expectCleanFailure(await runPlugin(passthrough, request()), 1, 'passthrough mode needs a service-account token');
  });
  it('exchange without a token', async () => {
    expectCleanFailure(await runPlugin(['--mode', 'exchange', '--exchange-url', okUrl], request({ serviceAccountAnnotations: { 'pullproof.dev/role': 'r' } })), 1, 'exchange mode needs a service-account token');
  });
  it('passthrough configured with cacheType ServiceAccount says kubelet would drop it', async () => {
    expectCleanFailure(await runPlugin([...passthrough, '--cache-type', 'ServiceAccount'], request({ serviceAccountToken: token })), 2, 'accepts only with tokenAttributes.cacheType: Token');
  });
  it('passthrough with a token that is not a JWT (value never echoed)', async () => {
    const opaque = 'opaque-secret-token-value-1234';
    const run = await runPlugin(passthrough, request({ serviceAccountToken: opaque }));
    expectCleanFailure(run, 1, 'serviceAccountToken is not a JWT');
    expect(run.stderr).not.toContain(opaque);
  });
  it('exchange endpoint rejects the token (401) and says what to check', async () => {
    expectCleanFailure(await runPlugin(['--mode', 'exchange', '--exchange-url', unauthorizedUrl], exchangeRequest()), 1, 'rejected the service-account token (401 invalid_token: audience mismatch); check the token audience');
  });
  it('no mode configured', async () => {
    expectCleanFailure(await runPlugin([], request({ serviceAccountToken: token })), 2, 'no mode: pass --mode passthrough or --mode exchange');
  });
  it('exchange endpoint down (connection refused)', async () => {
    expectCleanFailure(await runPlugin(['--mode', 'exchange', '--exchange-url', closedUrl], exchangeRequest()), 1, 'refused the connection');
  });
  it('exchange endpoint slow (timeout)', async () => {
    expectCleanFailure(await runPlugin(['--mode', 'exchange', '--exchange-url', slowUrl, '--timeout', '300'], exchangeRequest()), 1, 'did not answer within 300 ms');
  });
  it('exchange endpoint 5xx', async () => {
    expectCleanFailure(await runPlugin(['--mode', 'exchange', '--exchange-url', failUrl], exchangeRequest()), 1, 'answered 503 (policy store offline)');
  });
  it('TLS error (https to a server that does not speak TLS)', async () => {
    expectCleanFailure(await runPlugin(['--mode', 'exchange', '--exchange-url', plainHttpUrl], exchangeRequest()), 1, /TLS handshake with exchange endpoint .* failed \((EPROTO|ERR_SSL_[A-Z_]+)\)/);
  });
  it('exchange with the role annotation missing', async () => {
    expectCleanFailure(await runPlugin(['--mode', 'exchange', '--exchange-url', okUrl], request({ serviceAccountToken: token })), 1, 'has no pullproof.dev/role annotation');
  });
});

describe('plugin answers (real child process)', () => {
  it('passthrough returns the token as password with a cacheDuration that ends before the token exp', async () => {
    const before = Math.floor(Date.now() / 1000);
    const run = await runPlugin(['--mode', 'passthrough', '--safety-margin', '60'], request({ serviceAccountToken: token }));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const response = JSON.parse(run.stdout) as { apiVersion: string; kind: string; cacheKeyType: string; cacheDuration: string; auth: Record<string, { username: string; password: string }> };
    expect(response).toMatchObject({ apiVersion: V1, kind: 'CredentialProviderResponse', cacheKeyType: 'Registry' });
    expect(response.auth['registry.pullproof.test:5000']?.password).toBe(token);
    const seconds = Number(response.cacheDuration.replace(/s$/, ''));
    expect(before + seconds).toBeLessThanOrEqual(tokenExp - 60);
    expect(seconds).toBeGreaterThan(400);
  });
  it('exchange POSTs token, role and annotations and caches for the credential TTL minus the margin', async () => {
    received.length = 0;
    const run = await runPlugin(['--mode', 'exchange', '--safety-margin', '30'], request({ serviceAccountToken: token, serviceAccountAnnotations: { 'pullproof.dev/role': 'team-a-pull' } }), { PULLPROOF_EXCHANGE_URL: okUrl });
    expect(run.code).toBe(0);
    const response = JSON.parse(run.stdout) as { cacheDuration: string; auth: Record<string, { username: string; password: string }> };
    expect(response.auth['registry.pullproof.test:5000']).toEqual({ username: 'exchanged-user', password: 'exchanged-secret-password' });
    const seconds = Number(response.cacheDuration.replace(/s$/, ''));
    expect(seconds).toBeGreaterThanOrEqual(860);
    expect(seconds).toBeLessThanOrEqual(870);
    expect(received).toEqual([{ path: '/exchange', contentType: 'application/json', body: { serviceAccountToken: token, role: 'team-a-pull', annotations: { 'pullproof.dev/role': 'team-a-pull' } } }]);
  });
});
