import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginError } from '../../../provider/plugin/errors.ts';
import { exchange } from '../../../provider/plugin/exchange.ts';
import { parseOptions, type PluginOptions } from '../../../provider/plugin/options.ts';
import { passthrough } from '../../../provider/plugin/passthrough.ts';
import { API_VERSION, parseRequest, registryOf, type CredentialProviderRequest } from '../../../provider/plugin/request.ts';
import { runPlugin } from '../../../provider/plugin/run.ts';
import { cacheSeconds, tokenExpiry } from '../../../provider/plugin/token.ts';

/**
 * The plugin's modes in-process (plugin-process.test.ts runs the same code as kubelet does, as a
 * child process). What kubelet receives decides what a pod can pull: an expired token passed
 * through, a cacheDuration past the token's exp, or a credential under the wrong registry key are
 * security bugs, so each is pinned here to the exact response or the exact refusal.
 */

const NOW = 1_750_000_000;
const jwt = (claims: unknown): string => `${base64url.encode('{"alg":"RS256","kid":"k"}')}.${base64url.encode(JSON.stringify(claims))}.c2ln`;
const tokenExpiringIn = (seconds: number): string => jwt({ sub: 'system:serviceaccount:team-a:web', exp: NOW + seconds });

const options = (overrides: Partial<PluginOptions> = {}): PluginOptions => ({ ...parseOptions(['--mode', 'passthrough'], {}), ...overrides });
const request = (overrides: Partial<CredentialProviderRequest> = {}): CredentialProviderRequest => ({
  image: 'registry.test:5000/team-a/app:v1',
  serviceAccountToken: tokenExpiringIn(3600),
  serviceAccountAnnotations: {},
  ...overrides,
});

function refusal(fn: () => unknown): PluginError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PluginError);
    return error as PluginError;
  }
  throw new Error('expected a PluginError, got an answer');
}

describe('passthrough mode', () => {
  it('returns the token as the password for the image registry, cached until exp minus the margin', () => {
    const token = tokenExpiringIn(3600);
    expect(passthrough(request({ serviceAccountToken: token }), options(), NOW)).toStrictEqual({
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      kind: 'CredentialProviderResponse',
      cacheKeyType: 'Registry',
      cacheDuration: '3570s',
      auth: { 'registry.test:5000': { username: 'pullproof-sa', password: token } },
    });
  });

  it('refuses a token that has expired, or expires this second, saying how long ago', () => {
    for (const [age, text] of [[1, 'expired 1s ago'], [0, 'expired 0s ago'], [600, 'expired 600s ago']] as const) {
      const error = refusal(() => passthrough(request({ serviceAccountToken: tokenExpiringIn(-age) }), options(), NOW));
      expect(error.kind).toBe('token');
      expect(error.message).toBe(`service-account token ${text} (exp ${NOW - age}); kubelet should request a fresh one — check the node clock`);
    }
  });

  it('answers a token one second from expiry with a zero cache duration', () => {
    expect(passthrough(request({ serviceAccountToken: tokenExpiringIn(1) }), options(), NOW).cacheDuration).toBe('0s');
    expect(passthrough(request({ serviceAccountToken: tokenExpiringIn(31) }), options(), NOW).cacheDuration).toBe('1s');
  });

  it('uses the configured username, cache key type, margin and auth key', () => {
    const token = tokenExpiringIn(3600);
    expect(passthrough(request({ serviceAccountToken: token }), options({ username: 'u', cacheKeyType: 'Image', safetyMarginSeconds: 100, authKey: 'registry.test:5000/team-a' }), NOW)).toStrictEqual({
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      kind: 'CredentialProviderResponse',
      cacheKeyType: 'Image',
      cacheDuration: '3500s',
      auth: { 'registry.test:5000/team-a': { username: 'u', password: token } },
    });
  });

  it('refuses cacheType ServiceAccount (kubelet v1.34+ drops a token returned as password), and accepts Token or unset', () => {
    const error = refusal(() => passthrough(request(), options({ cacheType: 'ServiceAccount' }), NOW));
    expect(error).toMatchObject({ kind: 'usage', exitCode: 2 });
    expect(error.message).toContain('accepts only with tokenAttributes.cacheType: Token (configured: ServiceAccount)');
    expect(passthrough(request(), options({ cacheType: 'Token' }), NOW).kind).toBe('CredentialProviderResponse');
  });

  it('refuses a request without a token, naming the image', () => {
    const error = refusal(() => passthrough(request({ serviceAccountToken: undefined }), options(), NOW));
    expect(error).toMatchObject({ kind: 'token', exitCode: 1 });
    expect(error.message).toMatch(/^passthrough mode needs a service-account token but the request for image registry.test:5000\/team-a\/app:v1 has none/);
  });
});

describe('token lifetime', () => {
  it('reads exp from the payload without verifying', () => {
    expect(tokenExpiry(jwt({ exp: 42 }))).toBe(42);
  });

  it.each([
    ['two parts', 'a.b', 'serviceAccountToken is not a JWT (2 dot-separated parts, expected 3)'],
    ['four parts', 'a.b.c.d', 'serviceAccountToken is not a JWT (4 dot-separated parts, expected 3)'],
    ['a payload that is not JSON', 'a.bm90IGpzb24.c', 'serviceAccountToken payload is not base64url JSON'],
    ['no exp', jwt({ sub: 'x' }), 'serviceAccountToken has no numeric exp claim'],
    ['a string exp', jwt({ exp: '42' }), 'serviceAccountToken has no numeric exp claim'],
    ['a null payload', `a.${base64url.encode('null')}.c`, 'serviceAccountToken has no numeric exp claim'],
  ])('refuses %s', (_label, token, message) => {
    expect(refusal(() => tokenExpiry(token))).toMatchObject({ kind: 'token', message });
  });

  it('never caches past exp minus the margin, never negative, in whole seconds', () => {
    expect(cacheSeconds(NOW + 100, NOW, 30)).toBe(70);
    expect(cacheSeconds(NOW + 100.9, NOW, 30)).toBe(70);
    expect(cacheSeconds(NOW + 10, NOW, 30)).toBe(0);
    expect(cacheSeconds(NOW + 30, NOW, 30)).toBe(0);
  });
});

describe('request parsing', () => {
  const body = (fields: Record<string, unknown>): string => JSON.stringify({ apiVersion: API_VERSION, kind: 'CredentialProviderRequest', image: 'r/x', ...fields });

  it('reads image, token and annotations; an empty token is no token', () => {
    expect(parseRequest(body({ serviceAccountToken: 't', serviceAccountAnnotations: { a: 'b' } }))).toEqual({ image: 'r/x', serviceAccountToken: 't', serviceAccountAnnotations: { a: 'b' } });
    expect(parseRequest(body({ serviceAccountToken: '' }))).toEqual({ image: 'r/x', serviceAccountToken: undefined, serviceAccountAnnotations: {} });
    expect(parseRequest(body({ serviceAccountAnnotations: null })).serviceAccountAnnotations).toEqual({});
  });

  it.each([
    ['empty stdin', ' \n', /^empty stdin/],
    ['invalid JSON', '{', /^stdin is not valid JSON \(.*\): expected one CredentialProviderRequest object$/],
    ['a JSON array', '[]', /^stdin JSON is not an object/],
    ['JSON null', 'null', /^stdin JSON is not an object/],
    ['a string', '"x"', /^stdin JSON is not an object/],
    ['another apiVersion', body({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' }), /^request apiVersion "credentialprovider.kubelet.k8s.io\/v1beta1" is not supported/],
    ['no apiVersion', JSON.stringify({ kind: 'CredentialProviderRequest', image: 'r/x' }), /^request apiVersion null is not supported/],
    ['another kind', body({ kind: 'CredentialProviderResponse' }), /^request kind "CredentialProviderResponse" is not CredentialProviderRequest$/],
    ['no kind', JSON.stringify({ apiVersion: API_VERSION, image: 'r/x' }), /^request kind null is not/],
    ['no image', body({ image: undefined }), /^request has no image/],
    ['an empty image', body({ image: '' }), /^request has no image/],
    ['a numeric token', body({ serviceAccountToken: 5 }), /^request serviceAccountToken is not a string$/],
    ['annotations that are an array', body({ serviceAccountAnnotations: ['a'] }), /must map strings to strings/],
    ['annotations with a number', body({ serviceAccountAnnotations: { a: 1 } }), /must map strings to strings/],
    ['annotations that are a string', body({ serviceAccountAnnotations: 'a' }), /must map strings to strings/],
  ])('refuses %s', (_label, stdin, message) => {
    const error = refusal(() => parseRequest(stdin));
    expect(error.kind).toBe('request');
    expect(error.message).toMatch(message);
  });

  it('quotes the JSON parser on one line when stdin is not JSON', () => {
    const parserMessage = (text: string): string => {
      try {
        JSON.parse(text);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`${text} parsed`);
    };
    for (const stdin of ['{', '{"apiVersion":', 'not json']) {
      expect(parserMessage(stdin)).not.toContain('\n');
      expect(refusal(() => parseRequest(stdin)).message).toBe(`stdin is not valid JSON (${parserMessage(stdin)}): expected one CredentialProviderRequest object`);
    }
  });

  it('takes the registry as the text before the first slash, as kubelet parseRegistry does', () => {
    expect(registryOf('r.test:5000/a/b:c')).toBe('r.test:5000');
    expect(registryOf('busybox')).toBe('busybox');
  });
});

describe('options', () => {
  it('has defaults for everything but the mode', () => {
    expect(parseOptions(['--mode', 'passthrough'], {})).toEqual({
      mode: 'passthrough',
      exchangeUrl: undefined,
      roleAnnotation: 'pullproof.dev/role',
      cacheType: undefined,
      cacheKeyType: 'Registry',
      username: 'pullproof-sa',
      safetyMarginSeconds: 30,
      timeoutMs: 10_000,
      caFile: undefined,
      authKey: undefined,
    });
  });

  it('reads every flag as --flag value or --flag=value, and env variables, flags winning', () => {
    const env = { PULLPROOF_MODE: 'passthrough', PULLPROOF_USERNAME: 'env-user', PULLPROOF_SAFETY_MARGIN: '5', PULLPROOF_CACHE_TYPE: 'Token', PULLPROOF_AUTH_KEY: 'k', PULLPROOF_CA_FILE: '/ca', PULLPROOF_ROLE_ANNOTATION: 'a/b', PULLPROOF_TIMEOUT_MS: '7', PULLPROOF_CACHE_KEY_TYPE: 'Global' };
    expect(parseOptions(['--username=flag-user', '--mode', 'exchange', '--exchange-url', 'https://t.test:1'], env)).toEqual({
      mode: 'exchange',
      exchangeUrl: 'https://t.test:1',
      roleAnnotation: 'a/b',
      cacheType: 'Token',
      cacheKeyType: 'Global',
      username: 'flag-user',
      safetyMarginSeconds: 5,
      timeoutMs: 7,
      caFile: '/ca',
      authKey: 'k',
    });
    expect(parseOptions([], { PULLPROOF_MODE: 'passthrough', PULLPROOF_USERNAME: '' }).username).toBe('pullproof-sa');
    expect(parseOptions(['--mode=passthrough', '--safety-margin=0', '--timeout', '0'], {})).toMatchObject({ safetyMarginSeconds: 0, timeoutMs: 0 });
  });

  it('reads every setting from its PULLPROOF_* variable alone', () => {
    const env = {
      PULLPROOF_MODE: 'exchange',
      PULLPROOF_EXCHANGE_URL: 'http://172.18.0.1:5001',
      PULLPROOF_ROLE_ANNOTATION: 'a/b',
      PULLPROOF_CACHE_TYPE: 'ServiceAccount',
      PULLPROOF_CACHE_KEY_TYPE: 'Image',
      PULLPROOF_USERNAME: 'env-user',
      PULLPROOF_SAFETY_MARGIN: '0.5',
      PULLPROOF_TIMEOUT_MS: '250',
      PULLPROOF_CA_FILE: '/etc/pullproof/ca.pem',
      PULLPROOF_AUTH_KEY: '*.registry.test',
    };
    expect(parseOptions([], env)).toStrictEqual({
      mode: 'exchange',
      exchangeUrl: 'http://172.18.0.1:5001',
      roleAnnotation: 'a/b',
      cacheType: 'ServiceAccount',
      cacheKeyType: 'Image',
      username: 'env-user',
      safetyMarginSeconds: 0.5,
      timeoutMs: 250,
      caFile: '/etc/pullproof/ca.pem',
      authKey: '*.registry.test',
    });
  });

  it('takes an empty number (flag or variable) as unset: the default, not 0', () => {
    expect(parseOptions(['--mode', 'passthrough', '--safety-margin=', '--timeout='], {})).toMatchObject({ safetyMarginSeconds: 30, timeoutMs: 10_000 });
    expect(parseOptions(['--mode', 'passthrough'], { PULLPROOF_SAFETY_MARGIN: '', PULLPROOF_TIMEOUT_MS: '' })).toMatchObject({ safetyMarginSeconds: 30, timeoutMs: 10_000 });
  });

  it.each([
    ['no mode', [], {}, "no mode: pass --mode passthrough or --mode exchange in the provider's args (or PULLPROOF_MODE in its env)"],
    ['an empty mode', ['--mode='], {}, "no mode: pass --mode passthrough or --mode exchange in the provider's args (or PULLPROOF_MODE in its env)"],
    ['an unknown mode', ['--mode', 'both'], {}, '--mode "both" is not one of passthrough, exchange'],
    ['an unknown flag', ['--mode', 'passthrough', '--verbose'], {}, 'unknown argument "--verbose"; known flags: --mode --exchange-url --role-annotation --cache-type --cache-key-type --username --safety-margin --timeout --ca-file --auth-key'],
    ['a flag without value', ['--mode'], {}, '--mode needs a value'],
    ['a flag starting with =', ['=x'], {}, 'unknown argument "=x"; known flags: --mode --exchange-url --role-annotation --cache-type --cache-key-type --username --safety-margin --timeout --ca-file --auth-key'],
    ['exchange without URL', ['--mode', 'exchange'], {}, 'exchange mode needs --exchange-url <token service base URL> (or PULLPROOF_EXCHANGE_URL)'],
    ['exchange with a non-URL', ['--mode', 'exchange', '--exchange-url', 'token-service'], {}, '--exchange-url "token-service" is not a URL; expected e.g. http://172.18.0.1:5001'],
    ['exchange over ftp', ['--mode', 'exchange', '--exchange-url', 'ftp://t'], {}, '--exchange-url "ftp://t" must be http:// or https://'],
    ['a negative margin', ['--mode', 'passthrough', '--safety-margin', '-1'], {}, '--safety-margin "-1" must be a non-negative number'],
    ['a non-numeric timeout', ['--mode', 'passthrough'], { PULLPROOF_TIMEOUT_MS: 'soon' }, '--timeout "soon" must be a non-negative number'],
    ['an infinite timeout', ['--mode', 'passthrough', '--timeout', 'Infinity'], {}, '--timeout "Infinity" must be a non-negative number'],
    ['an unknown cache type', ['--mode', 'passthrough', '--cache-type', 'token'], {}, '--cache-type "token" is not one of Token, ServiceAccount'],
    ['an unknown cache key type', ['--mode', 'passthrough', '--cache-key-type', 'Pod'], {}, '--cache-key-type "Pod" is not one of Image, Registry, Global'],
  ])('refuses %s as a usage error (exit 2)', (_label, argv, env, message) => {
    expect(refusal(() => parseOptions(argv, env))).toMatchObject({ kind: 'usage', exitCode: 2, message });
  });

  it('accepts an exchange URL over http or https', () => {
    expect(parseOptions(['--mode', 'exchange', '--exchange-url', 'http://t:1'], {}).exchangeUrl).toBe('http://t:1');
  });
});

describe('runPlugin (what kubelet sees)', () => {
  const stdin = (token: string | undefined): string => JSON.stringify({ apiVersion: API_VERSION, kind: 'CredentialProviderRequest', image: 'r.test/team-a/app', ...(token ? { serviceAccountToken: token } : {}) });

  it('writes one response line on success and nothing on stderr', async () => {
    const token = tokenExpiringIn(600);
    const run = await runPlugin({ argv: ['--mode', 'passthrough'], env: {}, stdin: stdin(token), now: () => NOW * 1000 });
    expect(run).toEqual({ exitCode: 0, stderr: '', stdout: `${JSON.stringify(passthrough(request({ image: 'r.test/team-a/app', serviceAccountToken: token }), options(), NOW))}\n` });
  });

  it('refuses an expired token with exit 1 and no answer on stdout', async () => {
    const run = await runPlugin({ argv: ['--mode', 'passthrough'], env: {}, stdin: stdin(tokenExpiringIn(-5)), now: () => NOW * 1000 });
    expect(run).toEqual({ exitCode: 1, stdout: '', stderr: `pullproof-credential-provider: service-account token expired 5s ago (exp ${NOW - 5}); kubelet should request a fresh one — check the node clock\n` });
  });

  it('prints usage for --help or -h with exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runPlugin({ argv: [flag], env: {}, stdin: '' });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^usage: pullproof-credential-provider --mode passthrough\|exchange/);
    }
  });

  it('exits 2 on a usage error, one line on stderr', async () => {
    const run = await runPlugin({ argv: [], env: {}, stdin: stdin(undefined) });
    expect(run).toEqual({ exitCode: 2, stdout: '', stderr: "pullproof-credential-provider: no mode: pass --mode passthrough or --mode exchange in the provider's args (or PULLPROOF_MODE in its env)\n" });
  });

  it('never echoes the token or anything JWT-shaped on stderr', async () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${base64url.encode('not json')}.c2lnbmF0dXJl`;
    const run = await runPlugin({ argv: ['--mode', 'passthrough'], env: {}, stdin: stdin(token) });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).not.toContain(token);
    const quoted = await runPlugin({ argv: ['--mode', 'passthrough', '--cache-type', 'ServiceAccount'], env: {}, stdin: stdin('opaque-secret-token') });
    expect(quoted.stderr).not.toContain('opaque-secret-token');
  });

  it('keeps stderr to one line when a quoted value holds line breaks', async () => {
    const broken = JSON.stringify({ apiVersion: API_VERSION, kind: 'CredentialProviderRequest', image: 'r.test/app\nfake: line\r\nanother' });
    const run = await runPlugin({ argv: ['--mode', 'passthrough'], env: {}, stdin: broken });
    expect(run).toStrictEqual({
      exitCode: 1,
      stdout: '',
      stderr:
        'pullproof-credential-provider: passthrough mode needs a service-account token but the request for image r.test/app fake: line another has none: give the provider tokenAttributes (serviceAccountTokenAudience, requireServiceAccount: true) in the kubelet config\n',
    });
  });

  it('reports an unexpected exception as an internal error with exit 1', async () => {
    const clockFails = (): number => {
      throw new Error('clock unavailable');
    };
    const run = await runPlugin({ argv: ['--mode', 'passthrough'], env: {}, stdin: stdin(tokenExpiringIn(600)), now: clockFails });
    expect(run).toStrictEqual({ exitCode: 1, stdout: '', stderr: 'pullproof-credential-provider: internal error: clock unavailable\n' });
  });
});

describe('exchange mode', () => {
  let server: Server;
  let base: string;
  let reply: (req: IncomingMessage, body: string, res: ServerResponse) => void = (_req, _body, res) => res.end();
  let received: { method: string; url: string; headers: IncomingMessage['headers']; body: string } | undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        reply(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const answer = (status: number, body: unknown): void => {
    reply = (_req, _body, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
  };
  const exchangeOptions = (overrides: Partial<PluginOptions> = {}): PluginOptions => ({ ...parseOptions(['--mode', 'exchange', '--exchange-url', base], {}), ...overrides });
  const withRole = (overrides: Partial<CredentialProviderRequest> = {}): CredentialProviderRequest => request({ serviceAccountAnnotations: { 'pullproof.dev/role': 'reader', other: 'x' }, ...overrides });
  const failure = async (promise: Promise<unknown>): Promise<PluginError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PluginError);
    return error as PluginError;
  };

  it('POSTs token, role and annotations as JSON to <base>/exchange and returns the credential', async () => {
    answer(200, { username: 'ppx-user', password: 'ppx_secret', expiresInSeconds: 900, expiresAt: new Date((NOW + 900) * 1000).toISOString() });
    const req = withRole();
    const response = await exchange(req, exchangeOptions(), () => NOW);
    expect(received?.method).toBe('POST');
    expect(received?.url).toBe('/exchange');
    // One request per process: the plugin asks for JSON and tells the server not to keep the connection.
    expect(received?.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json', connection: 'close', 'content-length': String(Buffer.byteLength(received?.body ?? '')) });
    expect(JSON.parse(received?.body ?? '')).toEqual({ serviceAccountToken: req.serviceAccountToken, role: 'reader', annotations: { 'pullproof.dev/role': 'reader', other: 'x' } });
    expect(response).toStrictEqual({
      apiVersion: API_VERSION,
      kind: 'CredentialProviderResponse',
      cacheKeyType: 'Registry',
      cacheDuration: '870s',
      auth: { 'registry.test:5000': { username: 'ppx-user', password: 'ppx_secret' } },
    });
  });

  it('keeps a base path and a trailing slash', async () => {
    answer(200, { username: 'u', password: 'p', expiresInSeconds: 60 });
    await exchange(withRole(), exchangeOptions({ exchangeUrl: `${base}/v1/` }), () => NOW);
    expect(received?.url).toBe('/v1/exchange');
    await exchange(withRole(), exchangeOptions({ exchangeUrl: `${base}/v1` }), () => NOW);
    expect(received?.url).toBe('/v1/exchange');
  });

  it('caches until the earlier of expiresInSeconds and expiresAt, minus the margin', async () => {
    answer(200, { username: 'u', password: 'p', expiresInSeconds: 900, expiresAt: NOW + 100 });
    expect((await exchange(withRole(), exchangeOptions(), () => NOW)).cacheDuration).toBe('70s');
    answer(200, { username: 'u', password: 'p', expiresInSeconds: 100, expiresAt: new Date((NOW + 900) * 1000).toISOString() });
    expect((await exchange(withRole(), exchangeOptions(), () => NOW)).cacheDuration).toBe('70s');
    answer(200, { username: 'u', password: 'p', expiresInSeconds: 900, expiresAt: new Date((NOW + 100) * 1000).toISOString() });
    expect((await exchange(withRole(), exchangeOptions(), () => NOW)).cacheDuration).toBe('70s');
    answer(200, { username: 'u', password: 'p', expiresInSeconds: 100, expiresAt: 'not a date' });
    expect((await exchange(withRole(), exchangeOptions({ safetyMarginSeconds: 0, authKey: 'k', cacheKeyType: 'Image' }), () => NOW))).toMatchObject({ cacheDuration: '100s', cacheKeyType: 'Image', auth: { k: { username: 'u' } } });
    answer(200, { username: 'u', password: 'p', expiresInSeconds: 100, expiresAt: true });
    expect((await exchange(withRole(), exchangeOptions(), () => NOW)).cacheDuration).toBe('70s');
  });

  it('refuses a request without a token or without the role annotation, before calling out', async () => {
    received = undefined;
    expect(await failure(exchange(withRole({ serviceAccountToken: undefined }), exchangeOptions(), () => NOW))).toMatchObject({
      kind: 'token',
      message:
        'exchange mode needs a service-account token but the request for image registry.test:5000/team-a/app:v1 has none: give the provider tokenAttributes (serviceAccountTokenAudience, requireServiceAccount: true) in the kubelet config',
    });
    const noRole = await failure(exchange(request(), exchangeOptions(), () => NOW));
    expect(noRole.kind).toBe('request');
    expect(noRole.message).toMatch(/^the service account has no pullproof.dev\/role annotation/);
    expect(received).toBeUndefined();
  });

  it.each([
    [401, { error: 'invalid_token', detail: 'expired' }, 'rejected the service-account token (401 invalid_token: expired); check the token audience and the issuer the token service trusts'],
    [401, { detail: 'expired' }, 'rejected the service-account token (401 : expired); check the token audience and the issuer the token service trusts'],
    [403, { error: 'access_denied', detail: 'no trust' }, 'denied the role (403 access_denied: no trust); the trust policy does not let this service account assume it'],
    [403, { error: 'access_denied' }, 'denied the role (403 access_denied: access_denied); the trust policy does not let this service account assume it'],
    [500, { error: 'server_error', detail: 'boom' }, 'answered 500 (boom): the token service failed; retry, and check its logs'],
    [500, 'null', 'answered 500 (null): the token service failed; retry, and check its logs'],
    [502, '', 'answered 502 (no detail): the token service failed; retry, and check its logs'],
    [503, '<html>  down </html>', 'answered 503 (<html> down </html>): the token service failed; retry, and check its logs'],
    [504, `${'x'.repeat(200)}TAIL`, `answered 504 (${'x'.repeat(200)}): the token service failed; retry, and check its logs`],
    [404, { error: 'not_found' }, 'answered 404 (not_found)'],
    [400, '[1]', 'answered 400 ([1])'],
    [400, '7', 'answered 400 (7)'],
    [418, '', 'answered 418 (no detail)'],
    [200, { username: 'u', password: 'p' }, "answered 200 without {username, password, expiresInSeconds}: is the URL the token service's base URL?"],
    [200, { username: 'u', password: 5, expiresInSeconds: 1 }, "answered 200 without {username, password, expiresInSeconds}: is the URL the token service's base URL?"],
    [200, { username: 5, password: 'p', expiresInSeconds: 1 }, "answered 200 without {username, password, expiresInSeconds}: is the URL the token service's base URL?"],
    [200, '{"username":"u","password":"p","expiresInSeconds":"60"}', "answered 200 without {username, password, expiresInSeconds}: is the URL the token service's base URL?"],
    [200, 'not json', "answered 200 without {username, password, expiresInSeconds}: is the URL the token service's base URL?"],
    [200, 'null', "answered 200 without {username, password, expiresInSeconds}: is the URL the token service's base URL?"],
  ])('turns HTTP %i %j into one clear exchange error', async (status, body, message) => {
    answer(status, body);
    const error = await failure(exchange(withRole(), exchangeOptions(), () => NOW));
    expect(error).toMatchObject({ kind: 'exchange', exitCode: 1, message: `exchange endpoint ${base}/exchange ${message}` });
  });

  it('names a refused connection, an unresolvable host and a timeout', async () => {
    const refused = await failure(exchange(withRole(), exchangeOptions({ exchangeUrl: 'http://127.0.0.1:1' }), () => NOW));
    expect(refused).toMatchObject({ kind: 'exchange', message: 'exchange endpoint http://127.0.0.1:1/exchange refused the connection: is the token service running and reachable from the node?' });
    const unresolved = await failure(exchange(withRole(), exchangeOptions({ exchangeUrl: 'http://pullproof-no-such-host.invalid' }), () => NOW));
    expect(unresolved.message).toMatch(/^exchange endpoint http:\/\/pullproof-no-such-host.invalid\/exchange: host name does not resolve \((ENOTFOUND|EAI_AGAIN)\)/);
    reply = () => undefined; // never answers
    const slow = await failure(exchange(withRole(), exchangeOptions({ timeoutMs: 50 }), () => NOW));
    expect(slow).toMatchObject({ kind: 'timeout', message: `exchange endpoint ${base}/exchange did not answer within 50 ms; check the token service, or raise --timeout (kubelet kills the plugin at 60 s)` });
  });

  describe('through runPlugin (what kubelet sees)', () => {
    const opaque = 'opaque-sa-token-0123456789';
    const compact = JSON.stringify({ apiVersion: API_VERSION, kind: 'CredentialProviderRequest', image: 'r.test/team-a/app', serviceAccountToken: opaque, serviceAccountAnnotations: { 'pullproof.dev/role': 'reader' } });
    // Hand-written stdin (kubelet sends compact JSON, a person testing the plugin may not).
    const spaced = `{ "apiVersion" : "${API_VERSION}", "kind" : "CredentialProviderRequest", "image" : "r.test/team-a/app", "serviceAccountToken" : "${opaque}", "serviceAccountAnnotations" : { "pullproof.dev/role" : "reader" } }`;
    const run = (stdin: string) => runPlugin({ argv: ['--mode', 'exchange', '--exchange-url', base], env: {}, stdin, now: () => NOW * 1000 });

    it('answers with the exchanged credential, whatever the token looks like', async () => {
      answer(200, { username: 'ppx-user', password: 'ppx_secret', expiresInSeconds: 600 });
      const response = { apiVersion: API_VERSION, kind: 'CredentialProviderResponse', cacheKeyType: 'Registry', cacheDuration: '570s', auth: { 'r.test': { username: 'ppx-user', password: 'ppx_secret' } } };
      expect(await run(compact)).toStrictEqual({ exitCode: 0, stdout: `${JSON.stringify(response)}\n`, stderr: '' });
      expect(JSON.parse(received?.body ?? '')).toMatchObject({ serviceAccountToken: opaque, role: 'reader' });
    });

    it('redacts the request token where the token service echoes it, in compact or spaced JSON', async () => {
      answer(401, { error: 'invalid_token', detail: `token ${opaque} is not a JWT` });
      const stderr = `pullproof-credential-provider: exchange endpoint ${base}/exchange rejected the service-account token (401 invalid_token: token <redacted> is not a JWT); check the token audience and the issuer the token service trusts\n`;
      expect(await run(compact)).toStrictEqual({ exitCode: 1, stdout: '', stderr });
      expect(await run(spaced)).toStrictEqual({ exitCode: 1, stdout: '', stderr });
    });

    it('redacts any JWT the token service quotes, and flattens its line breaks', async () => {
      const other = jwt({ sub: 'system:serviceaccount:team-b:api', exp: NOW + 60 });
      answer(403, { error: 'access_denied', detail: `role reader\nis not for ${other}.` });
      expect(await run(compact)).toStrictEqual({
        exitCode: 1,
        stdout: '',
        stderr: `pullproof-credential-provider: exchange endpoint ${base}/exchange denied the role (403 access_denied: role reader is not for <redacted-jwt>.); the trust policy does not let this service account assume it\n`,
      });
    });
  });

  it('names a TLS failure and an unreadable CA file', async () => {
    answer(200, {});
    const tls = await failure(exchange(withRole(), exchangeOptions({ exchangeUrl: base.replace('http:', 'https:') }), () => NOW));
    expect(tls.kind).toBe('tls');
    expect(tls.message).toMatch(/^TLS handshake with exchange endpoint https:.* failed \(.+\): pass --ca-file/);
    const ca = await failure(exchange(withRole(), exchangeOptions({ caFile: '/nonexistent/ca.pem' }), () => NOW));
    expect(ca).toMatchObject({ kind: 'usage', exitCode: 2, message: '--ca-file /nonexistent/ca.pem cannot be read (ENOENT): mount the CA bundle into the node or drop --ca-file' });
  });
});
