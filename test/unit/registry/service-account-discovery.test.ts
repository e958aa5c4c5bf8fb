import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, errors, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServiceAccountIssuer, type MintOptions } from '../../../harness/identity/local-issuer.ts';
import type { ServiceAccountTokenError} from '../../../registry/token-service/service-account.ts';
import { IssuerDiscoveryError, ServiceAccountVerifier, type RejectionReason } from '../../../registry/token-service/service-account.ts';
import { SA_AUDIENCE, badToken } from '../../support/registry-fixtures.ts';
import { rejection } from './service-account-rejection.ts';

/**
 * The discovery path of the service-account verifier against an OIDC issuer served here on
 * 127.0.0.1: the fetch of `/.well-known/openid-configuration` (each way it can fail, and the retry
 * after a failure), then jose's remote key set and how its errors become rejection reasons. The
 * server records every path it is asked for, so the tests can say how often discovery ran.
 */

const BASE: MintOptions = { namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE };
const DOCUMENT = '/.well-known/openid-configuration';
const ISSUER_UNREACHABLE_ADVICE = "check the issuer's discovery URL and that it serves /.well-known/openid-configuration";

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface TestIssuerServer {
  readonly url: string;
  /** Every request path, in order. */
  readonly hits: string[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering each path with `answer(path, url)`; strings are sent as they are, anything else as JSON. */
async function serve(answer: (path: string, url: string) => Answer): Promise<TestIssuerServer> {
  const hits: string[] = [];
  let url = '';
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.push(path);
    const { status, body, headers = {} } = answer(path, url);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What kube-apiserver serves: the discovery document naming the issuer and its jwks_uri, and the key set. */
const issuerAnswers =
  (issuer: LocalServiceAccountIssuer) =>
  (path: string, url: string): Answer => {
    if (path === DOCUMENT) return { status: 200, body: { issuer: issuer.issuer, jwks_uri: `${url}/openid/v1/jwks` } };
    if (path === '/openid/v1/jwks') return { status: 200, body: issuer.jwks() };
    return { status: 404, body: { error: 'not found' } };
  };


/** Reason and detail (the advice after them is pinned for every reason in service-account.test.ts). */
function expectRefusal(error: ServiceAccountTokenError, reason: RejectionReason, detail: string): void {
  expect(error.reason).toBe(reason);
  expect(error.message.startsWith(`service-account token rejected (${reason}): ${detail}; `), error.message).toBe(true);
}

/** The refusal of a failed discovery: the IssuerDiscoveryError it carries as cause, with the URL and detail. */
async function discoveryFailure(verifier: ServiceAccountVerifier, token: string, url: string, detail: string): Promise<IssuerDiscoveryError> {
  const error = await rejection(verifier, token);
  const discoveryDetail = `OIDC discovery at ${url}${DOCUMENT} failed: ${detail}; check that the issuer serves /.well-known/openid-configuration or configure its jwks statically`;
  expect(error.reason).toBe('issuer_unreachable');
  expect(error.message).toBe(`service-account token rejected (issuer_unreachable): ${discoveryDetail}; ${ISSUER_UNREACHABLE_ADVICE}`);
  expect(error.issuer).toBe(decodeIssuer(token));
  expect(error.cause).toBeInstanceOf(IssuerDiscoveryError);
  const cause = error.cause as IssuerDiscoveryError;
  expect(cause.name).toBe('IssuerDiscoveryError');
  expect(cause.url).toBe(`${url}${DOCUMENT}`);
  expect(cause.message).toBe(discoveryDetail);
  return cause;
}

const decodeIssuer = (token: string): unknown => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown }).iss;

describe('service-account verifier: fetching the OIDC discovery document', () => {
  let issuer: LocalServiceAccountIssuer;
  let token: string;
  beforeAll(async () => {
    issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://discovery.test' });
    token = await issuer.mint(BASE);
  });
  const verifierFor = (url: string): ServiceAccountVerifier => new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: issuer.issuer, discoveryUrl: url }] });

  it('reads the discovery document and the key set once for many tokens', async () => {
    const served = await serve(issuerAnswers(issuer));
    try {
      const verifier = verifierFor(served.url);
      await expect(verifier.verify(token)).resolves.toMatchObject({ issuer: issuer.issuer, name: 'web' });
      await expect(verifier.verify(await issuer.mint(BASE))).resolves.toMatchObject({ name: 'web' });
      expect(served.hits).toStrictEqual([DOCUMENT, '/openid/v1/jwks']);
    } finally {
      await served.close();
    }
  });

  it('refuses while discovery answers an HTTP error, even with a usable body, and asks again for the next token', async () => {
    let status = 404;
    const answers = issuerAnswers(issuer);
    const served = await serve((path, url) => (path === DOCUMENT ? { ...answers(path, url), status } : answers(path, url)));
    try {
      const verifier = verifierFor(served.url);
      const cause = await discoveryFailure(verifier, token, served.url, 'HTTP 404');
      expect(cause.cause).toBeUndefined();
      status = 200;
      await expect(verifier.verify(token)).resolves.toMatchObject({ name: 'web' });
      expect(served.hits).toStrictEqual([DOCUMENT, DOCUMENT, '/openid/v1/jwks']);
    } finally {
      await served.close();
    }
  });

  it('does not follow a redirect of the discovery document', async () => {
    const answers = issuerAnswers(issuer);
    const served = await serve((path, url) => {
      if (path === DOCUMENT) return { status: 302, headers: { location: `${url}/moved` } };
      return answers(path === '/moved' ? DOCUMENT : path, url);
    });
    try {
      const cause = await discoveryFailure(verifierFor(served.url), token, served.url, 'fetch failed');
      // undici's TypeError, kept as the cause so the terminal can show "unexpected redirect".
      expect(cause.cause).toBeInstanceOf(TypeError);
      expect(served.hits).toStrictEqual([DOCUMENT]);
    } finally {
      await served.close();
    }
  });

  it('names a document that is not JSON by the parse error, kept as the cause', async () => {
    const served = await serve(() => ({ status: 200, body: 'not json' }));
    try {
      const verifier = verifierFor(served.url);
      const parseError = await verifier.verify(token).then(
        () => undefined,
        (e: unknown) => (e as { cause?: { cause?: unknown } }).cause?.cause,
      );
      expect(parseError).toBeInstanceOf(SyntaxError);
      const cause = await discoveryFailure(verifier, token, served.url, (parseError as SyntaxError).message);
      expect(cause.cause).toBeInstanceOf(SyntaxError);
    } finally {
      await served.close();
    }
  });

  it('refuses a document without jwks_uri', async () => {
    const served = await serve(() => ({ status: 200, body: { issuer: issuer.issuer } }));
    try {
      const cause = await discoveryFailure(verifierFor(served.url), token, served.url, 'document has no jwks_uri');
      expect(cause.cause).toBeUndefined();
    } finally {
      await served.close();
    }
  });

  it('refuses a document for another issuer (OpenID Connect Discovery §4.3)', async () => {
    const served = await serve((path, url) => ({ status: 200, body: { issuer: 'https://other.test', jwks_uri: `${url}/openid/v1/jwks` } }));
    try {
      await discoveryFailure(verifierFor(served.url), token, served.url, 'document names issuer "https://other.test", expected "https://discovery.test"');
      expect(served.hits).toStrictEqual([DOCUMENT]);
    } finally {
      await served.close();
    }
  });
});

describe("service-account verifier: tokens verified with a discovered issuer's keys", () => {
  let issuer: LocalServiceAccountIssuer;
  let served: TestIssuerServer;
  let verifier: ServiceAccountVerifier;
  beforeAll(async () => {
    issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://remote.test' });
    served = await serve(issuerAnswers(issuer));
    verifier = new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: issuer.issuer, discoveryUrl: served.url }] });
  });
  afterAll(() => served.close());

  const unsigned = (header: string): string => `${base64url.encode(header)}.${base64url.encode(JSON.stringify(issuer.claims(BASE)))}.${base64url.encode('sig')}`;

  // jose's error, kept as the cause, says which check of jose's failed; the reason and detail are ours.
  it.each([
    ['a flipped signature byte', 'bad_signature', 'signature does not verify with the issuer key', errors.JWSSignatureVerificationFailed],
    ['an unknown kid', 'bad_signature', 'no key of the issuer matches the token header', errors.JWKSNoMatchingKey],
    ['an HS256 token', 'algorithm_not_allowed', 'only RS256, ES256 are accepted', errors.JOSEAlgNotAllowed],
    ['a header that is not JSON', 'malformed', 'JWS Protected Header is invalid', errors.JWSInvalid],
    ['a header without alg', 'malformed', 'JWS "alg" (Algorithm) Header Parameter missing or invalid', errors.JWSInvalid],
    ['a crit header', 'malformed', 'crit header parameters are not supported', errors.JOSENotSupported],
  ] as const)('refuses %s for its reason, keeping jose’s error as the cause', async (label, reason, detail, joseError) => {
    const tokens: Record<typeof label, () => Promise<string>> = {
      'a flipped signature byte': () => badToken(issuer, 'flipped signature byte', BASE),
      'an unknown kid': () => issuer.sign(issuer.claims(BASE), { kid: 'rotated-away' }),
      'an HS256 token': () => badToken(issuer, 'HS256 keyed with the public key', BASE),
      'a header that is not JSON': () => Promise.resolve(unsigned('nope')),
      'a header without alg': () => Promise.resolve(unsigned(JSON.stringify({ kid: issuer.keyId }))),
      'a crit header': () => Promise.resolve(unsigned(JSON.stringify({ alg: 'RS256', kid: issuer.keyId, crit: ['exp'], exp: 1 }))),
    };
    const error = await rejection(verifier, await tokens[label]());
    expectRefusal(error, reason, detail);
    expect(error.issuer).toBe(issuer.issuer);
    expect(error.cause).toBeInstanceOf(joseError);
    expect(error.claimed).toStrictEqual({ namespace: 'team-a', name: 'web' });
  });

  // compactVerify checks the signature only; exp, nbf and aud are checked by the verifier itself
  // after it, as on the static path, so these refusals carry no jose error.
  it.each([
    ['an expired token', 'expired', 'exp is in the past', 'expired'],
    ['a token not yet valid', 'not_yet_valid', 'nbf is in the future', 'not yet valid'],
    ['another audience', 'wrong_audience', 'aud contains none of the accepted audiences ["pullproof-registry"]', 'wrong audience'],
  ] as const)('refuses %s after the signature verified, with no jose cause', async (_label, reason, detail, kind) => {
    const error = await rejection(verifier, await badToken(issuer, kind, BASE));
    expectRefusal(error, reason, detail);
    expect(error.issuer).toBe(issuer.issuer);
    expect(error.cause).toBeUndefined();
  });

  it('accepts a valid token and reads its claims like the static path', async () => {
    const claims: JWTPayload = issuer.claims({ ...BASE, serviceAccountUid: 'sa-uid' });
    await expect(verifier.verify(await issuer.sign(claims))).resolves.toStrictEqual({
      issuer: 'https://remote.test',
      subject: 'system:serviceaccount:team-a:web',
      namespace: 'team-a',
      name: 'web',
      uid: 'sa-uid',
      expiresAt: new Date((claims.exp ?? 0) * 1000),
    });
  });
});
