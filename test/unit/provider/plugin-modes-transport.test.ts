import { execFileSync } from 'node:child_process';
import dns from 'node:dns';
import fs from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PluginError } from '../../../provider/plugin/errors.ts';
import { exchange } from '../../../provider/plugin/exchange.ts';
import { parseOptions, type PluginOptions } from '../../../provider/plugin/options.ts';
import type { CredentialProviderRequest } from '../../../provider/plugin/request.ts';

/**
 * The network under the exchange call failing (plugin-modes.test.ts covers what the token service
 * answers): the node's resolver, TLS trust of the endpoint, a connection dropped mid-answer. Each
 * error kubelet logs must name the endpoint and the failure exactly, whatever code Node reports.
 *
 * The resolver is stubbed at `dns.lookup`, which node:net calls for every host name it connects
 * to, so each failure code is exact and no test needs DNS.
 */

const NOW = 1_750_000_000;
const request: CredentialProviderRequest = { image: 'registry.test:5000/team-a/app:v1', serviceAccountToken: 'opaque-sa-token', serviceAccountAnnotations: { 'pullproof.dev/role': 'reader' } };
const options = (exchangeUrl: string, overrides: Partial<PluginOptions> = {}): PluginOptions => ({ ...parseOptions(['--mode', 'exchange', '--exchange-url', exchangeUrl], {}), ...overrides });

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PluginError);
  return error as PluginError;
}

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

describe('exchange when the resolver fails', () => {
  const endpoint = 'http://token-service.test:5001/exchange';
  const resolverFails = (error: Error): void => {
    // dns.lookup(host[, options], callback): the callback is always the last argument.
    vi.spyOn(dns, 'lookup').mockImplementation((_host: string, ...rest: unknown[]) => {
      const callback = rest.at(-1) as (error: Error) => void;
      process.nextTick(callback, error);
    });
  };

  it('calls a temporary resolver failure (EAI_AGAIN) a host name that does not resolve', async () => {
    resolverFails(Object.assign(new Error('getaddrinfo EAI_AGAIN token-service.test'), { code: 'EAI_AGAIN' }));
    expect(await failure(exchange(request, options('http://token-service.test:5001'), () => NOW))).toMatchObject({
      kind: 'exchange',
      message: `exchange endpoint ${endpoint}: host name does not resolve (EAI_AGAIN); use an address the node can resolve`,
    });
  });

  it.each([
    ['a code that merely starts like EPROTO', 'EPROTONOSUPPORT'],
    ['a code that merely contains a TLS prefix (CERT_) past its start', 'EPROXY_CERT_REQUIRED'],
  ])('reports %s as a plain exchange failure naming the code, not as TLS', async (_label, code) => {
    resolverFails(Object.assign(new Error(`lookup failed: ${code}`), { code }));
    expect(await failure(exchange(request, options('http://token-service.test:5001'), () => NOW))).toMatchObject({ kind: 'exchange', message: `exchange endpoint ${endpoint} failed: ${code}` });
  });

  it('falls back to the error message when the failure has no code', async () => {
    resolverFails(new Error('resolver exploded'));
    expect(await failure(exchange(request, options('http://token-service.test:5001'), () => NOW))).toMatchObject({ kind: 'exchange', message: `exchange endpoint ${endpoint} failed: resolver exploded` });
  });
});

describe('exchange when the connection drops mid-answer', () => {
  let server: HttpServer;
  let base: string;

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"username":"u",');
        setTimeout(() => res.socket?.destroy(), 10);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // A short test timeout: a client that does not listen for the response's error never settles.
  it('reports the reset (ECONNRESET) instead of waiting or parsing half a body', { timeout: 5_000 }, async () => {
    expect(await failure(exchange(request, options(base), () => NOW))).toMatchObject({ kind: 'exchange', message: `exchange endpoint ${base}/exchange failed: ECONNRESET` });
  });
});

describe('exchange over https', () => {
  let dir: string;
  let server: HttpsServer;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pullproof-plugin-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256', '-days', '1', '-subj', '/CN=pullproof-exchange-test',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    server = createHttpsServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ username: 'ppx-user', password: 'ppx_secret', expiresInSeconds: 600 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('trusts the endpoint through the --ca-file CA', async () => {
    expect(await exchange(request, options(base, { caFile: join(dir, 'cert.pem') }), () => NOW)).toStrictEqual({
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      kind: 'CredentialProviderResponse',
      cacheKeyType: 'Registry',
      cacheDuration: '570s',
      auth: { 'registry.test:5000': { username: 'ppx-user', password: 'ppx_secret' } },
    });
  });

  it('without the CA, names the TLS failure and the remedy', async () => {
    expect(await failure(exchange(request, options(base), () => NOW))).toMatchObject({
      kind: 'tls',
      exitCode: 1,
      message: `TLS handshake with exchange endpoint ${base}/exchange failed (DEPTH_ZERO_SELF_SIGNED_CERT): pass --ca-file with the CA that signed its certificate, or fix the URL's host name`,
    });
  });

  it('says "error" when reading the CA file fails without an errno code', async () => {
    vi.spyOn(fs, 'readFileSync').mockImplementation(() => {
      throw new RangeError('Array buffer allocation failed');
    });
    syncBuiltinESMExports();
    expect(await failure(exchange(request, options(base, { caFile: join(dir, 'cert.pem') }), () => NOW))).toMatchObject({
      kind: 'usage',
      exitCode: 2,
      message: `--ca-file ${join(dir, 'cert.pem')} cannot be read (error): mount the CA bundle into the node or drop --ca-file`,
    });
  });
});
