import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { SignJWT, base64url, decodeJwt, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalServiceAccountIssuer, type MintOptions } from '../../../harness/identity/local-issuer.ts';
import type {
  ServiceAccountTokenError} from '../../../registry/token-service/service-account.ts';
import {
  ALLOWED_ALGORITHMS,
  ServiceAccountVerifier,
  claimedServiceAccount,
  looksLikeJwt,
  type RejectionReason,
} from '../../../registry/token-service/service-account.ts';
import { BAD_TOKEN_KINDS, BAD_TOKEN_REASON, SA_AUDIENCE, badToken } from '../../support/registry-fixtures.ts';
import { rejection } from './service-account-rejection.ts';

/**
 * The service-account token verifier on its own: every refusal is checked for its *reason*, not only
 * for being a refusal, on both key paths (a static JWKS verified with node:crypto, and OIDC discovery
 * verified by jose). A token refused for the wrong reason means a defence is gone and a later check
 * happens to catch it — until it does not.
 */

const BASE: MintOptions = { namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE };


async function expectReason(verifier: ServiceAccountVerifier, token: string, reason: RejectionReason, detail?: RegExp): Promise<ServiceAccountTokenError> {
  const error = await rejection(verifier, token);
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(new RegExp(`^service-account token rejected \\(${reason}\\): `));
  if (detail) expect(error.message).toMatch(detail);
  return error;
}

/**
 * What the person at the terminal is told to do for each reason, written out here rather than read
 * from the module: a refusal whose advice went missing or changed must fail a test.
 */
const ADVICE: Record<RejectionReason, string> = {
  malformed: 'send the service-account token itself (a compact JWS) as the password',
  untrusted_issuer: "trust the cluster's issuer first (trustIssuer({issuer, jwks}) or a discovery URL)",
  algorithm_not_allowed: 'tokens must be RS256 or ES256, as kube-apiserver signs them',
  bad_signature: "the token was not signed by a key of the trusted issuer: refresh the issuer's JWKS after a key rotation",
  wrong_audience: "request the token for an accepted audience (the provider's tokenAttributes.serviceAccountTokenAudience)",
  expired: 'request a fresh token (kubelet does this per pull unless it caches)',
  not_yet_valid: 'check the clock skew between the issuer and this machine',
  bad_claims: 'use a bound service-account token from the TokenRequest API, not a legacy secret token',
  issuer_unreachable: "check the issuer's discovery URL and that it serves /.well-known/openid-configuration",
};

/** The whole message of a refusal: reason, detail, advice. */
const message = (reason: RejectionReason, detail: string): string => `service-account token rejected (${reason}): ${detail}; ${ADVICE[reason]}`;

const now = (): number => Math.floor(Date.now() / 1000);

describe.each(['static JWKS', 'OIDC discovery'] as const)('service-account verifier (%s)', (path) => {
  let issuer: LocalServiceAccountIssuer;
  let verifier: ServiceAccountVerifier;
  let close: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    issuer = await LocalServiceAccountIssuer.create({ issuer: `https://${path === 'static JWKS' ? 'static' : 'discovered'}.test` });
    if (path === 'static JWKS') {
      verifier = new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }] });
    } else {
      const served = await issuer.serveDiscovery();
      close = () => served.close();
      verifier = new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: issuer.issuer, discoveryUrl: served.url }] });
    }
  });
  afterAll(() => close());

  it('accepts a bound token and returns the identity with pod, node and expiry', async () => {
    const token = await issuer.mint({ ...BASE, serviceAccountUid: 'sa-uid', pod: { name: 'web-0', uid: 'pod-uid' }, node: { name: 'node-1', uid: 'node-uid' }, expiresInSeconds: 600 });
    const identity = await verifier.verify(token);
    expect(identity).toEqual({
      issuer: issuer.issuer,
      subject: 'system:serviceaccount:team-a:web',
      namespace: 'team-a',
      name: 'web',
      uid: 'sa-uid',
      pod: { name: 'web-0', uid: 'pod-uid' },
      node: { name: 'node-1', uid: 'node-uid' },
      // The token's own exp (minted a moment before): recomputing "now + 600" here can cross a second.
      expiresAt: new Date((decodeJwt(token).exp ?? 0) * 1000),
    });
    expect((decodeJwt(token).exp ?? 0) - (decodeJwt(token).iat ?? 0)).toBe(600);
  });

  it('returns no pod or node when the token is not bound to them (or binds a node by name only)', async () => {
    const identity = await verifier.verify(await issuer.mint({ ...BASE, pod: { name: 'web-0', uid: 'p' }, node: { name: 'node-1', uid: '' } }));
    expect(identity.pod).toEqual({ name: 'web-0', uid: 'p' });
    expect(identity).not.toHaveProperty('node');
    const bare = await verifier.verify(await issuer.mint(BASE));
    expect(Object.keys(bare).sort()).toEqual(['expiresAt', 'issuer', 'name', 'namespace', 'subject', 'uid']);
    const byName = await verifier.verify(await issuer.sign({ ...issuer.claims(BASE), 'kubernetes.io': { ...issuer.claims(BASE)['kubernetes.io'], node: { name: 'n' }, pod: 'p' } }));
    expect(byName).not.toHaveProperty('node');
    expect(byName).not.toHaveProperty('pod');
  });

  it.each(BAD_TOKEN_KINDS)('refuses a token with %s for its own reason', async (kind) => {
    const error = await expectReason(verifier, await badToken(issuer, kind, BASE), BAD_TOKEN_REASON[kind]);
    // Who the token claimed to be is kept for the audit, never as an identity.
    expect(error.claimed).toEqual({ namespace: 'team-a', name: 'web' });
  });

  it('names the issuer of a refused token, and only then', async () => {
    expect((await rejection(verifier, await badToken(issuer, 'expired', BASE))).issuer).toBe(issuer.issuer);
    expect((await rejection(verifier, 'not-a-jwt')).issuer).toBeUndefined();
  });

  it('refuses every algorithm outside RS256/ES256 before looking at keys or signatures', async () => {
    expect([...ALLOWED_ALGORITHMS]).toEqual(['RS256', 'ES256']);
    const claims = issuer.claims(BASE);
    for (const alg of ['HS256', 'HS512', 'none', 'PS256', 'RS384', 'ES384', 'EdDSA', 'RS256 ', 'rs256']) {
      const header = base64url.encode(JSON.stringify({ alg, kid: issuer.keyId }));
      const token = `${header}.${base64url.encode(JSON.stringify(claims))}.${base64url.encode('sig')}`;
      await expectReason(verifier, token, 'algorithm_not_allowed', /only RS256, ES256 are accepted/);
    }
  });

  it('refuses a token signed by another key of the same issuer name as bad_signature', async () => {
    const impostor = await LocalServiceAccountIssuer.create({ issuer: issuer.issuer });
    await expectReason(verifier, await impostor.mint(BASE), 'bad_signature');
    // Same key id as the trusted key, other key material: the signature itself is wrong.
    await expectReason(verifier, await impostor.sign(impostor.claims(BASE), { kid: issuer.keyId }), 'bad_signature', /signature does not verify|no key of the issuer/);
  });

  it('refuses an ES256 token when the issuer has only an RSA key (no key of that type)', async () => {
    const ec = await LocalServiceAccountIssuer.create({ issuer: issuer.issuer, algorithm: 'ES256' });
    await expectReason(verifier, await ec.sign(ec.claims(BASE), { kid: issuer.keyId }), 'bad_signature');
  });

  it('refuses a header with an unknown kid', async () => {
    await expectReason(verifier, await issuer.sign(issuer.claims(BASE), { kid: 'other-kid' }), 'bad_signature', /no key of the issuer matches the token header/);
  });

  it('checks exp and nbf with the 30 s leeway', async () => {
    const t = now();
    expect(verifier.leewaySeconds).toBe(30);
    await expect(verifier.verify(await issuer.sign({ ...issuer.claims(BASE), exp: t - 20 }))).resolves.toBeDefined();
    await expectReason(verifier, await issuer.sign({ ...issuer.claims(BASE), exp: t - 31 }), 'expired', /exp is in the past/);
    await expectReason(verifier, await issuer.sign({ ...issuer.claims(BASE), exp: t - 30 }), 'expired');
    await expect(verifier.verify(await issuer.sign({ ...issuer.claims(BASE), nbf: t + 20 }))).resolves.toBeDefined();
    await expect(verifier.verify(await issuer.sign({ ...issuer.claims(BASE), nbf: t + 29 }))).resolves.toBeDefined();
    await expectReason(verifier, await issuer.sign({ ...issuer.claims(BASE), nbf: t + 45 }), 'not_yet_valid', /nbf is in the future/);
    await expectReason(verifier, await issuer.sign(JSON.parse(JSON.stringify({ ...issuer.claims(BASE), nbf: String(t) })) as JWTPayload), 'not_yet_valid');
  });

  it('accepts an audience in a string or an array, and any configured audience', async () => {
    await expect(verifier.verify(await issuer.sign({ ...issuer.claims(BASE), aud: SA_AUDIENCE }))).resolves.toBeDefined();
    await expect(verifier.verify(await issuer.sign({ ...issuer.claims(BASE), aud: ['other', SA_AUDIENCE] }))).resolves.toBeDefined();
    await expectReason(verifier, await issuer.sign({ ...issuer.claims(BASE), aud: 'other' }), 'wrong_audience', /aud contains none of the accepted audiences \["pullproof-registry"\]/);
    await expectReason(verifier, await issuer.sign({ ...issuer.claims(BASE), aud: [] }), 'wrong_audience');
    await expectReason(verifier, await issuer.sign(JSON.parse(JSON.stringify({ ...issuer.claims(BASE), aud: { [SA_AUDIENCE]: 1 } })) as JWTPayload), 'wrong_audience');
  });

  it.each([
    ['no aud', 'aud', 'wrong_audience', /aud contains none/],
    ['no sub', 'sub', 'bad_claims', /claim sub check failed: missing/],
    ['no exp', 'exp', 'bad_claims', /claim exp check failed: missing/],
  ] as const)('refuses a token with %s', async (_label, claim, reason, detail) => {
    const claims: Record<string, unknown> = { ...issuer.claims(BASE) };
    delete claims[claim];
    await expectReason(verifier, await issuer.sign(claims), reason, detail);
  });

  it.each([
    ['a string exp', { exp: '9999999999' }, /claim exp check failed: invalid/],
    ['a string iat', { iat: 'yesterday' }, /claim iat check failed: invalid/],
    ['a sub that is not a service account', { sub: 'system:node:node-1' }, /sub is not system:serviceaccount/],
    ['a sub with an extra segment', { sub: 'system:serviceaccount:team-a:web:x' }, /sub is not system:serviceaccount/],
    ['no kubernetes.io claims (a legacy secret token)', { 'kubernetes.io': undefined }, /kubernetes.io claims are missing or disagree with sub/],
    ['kubernetes.io namespace disagreeing with sub', { 'kubernetes.io': { namespace: 'team-b', serviceaccount: { name: 'web', uid: 'u' } } }, /disagree with sub/],
    ['kubernetes.io service account disagreeing with sub', { 'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'admin', uid: 'u' } } }, /disagree with sub/],
    ['a kubernetes.io service account without uid', { 'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'web' } } }, /disagree with sub/],
  ])('refuses a token with %s as bad_claims', async (_label, override, detail) => {
    const claims: Record<string, unknown> = { ...issuer.claims(BASE), ...override };
    await expectReason(verifier, await issuer.sign(claims), 'bad_claims', detail);
  });

  it('refuses a token without iss as bad_claims, and an untrusted issuer naming it', async () => {
    const { iss: _iss, ...rest } = issuer.claims(BASE);
    await expectReason(verifier, await issuer.sign(rest), 'bad_claims', /no iss claim/);
    const error = await expectReason(verifier, await issuer.sign({ ...issuer.claims(BASE), iss: 'https://elsewhere.test' }), 'untrusted_issuer', /issuer "https:\/\/elsewhere.test" is not trusted/);
    expect(error.issuer).toBe('https://elsewhere.test');
  });

  it.each([
    ['a non-JWT', 'hunter2', /not a compact JWS/],
    ['two parts', 'a.b', /not a compact JWS/],
    ['a payload that is not JSON', `${base64url.encode('{"alg":"RS256"}')}.${base64url.encode('not json')}.x`, /payload is not a JSON object/],
    ['a payload that is a JSON array', `${base64url.encode('{"alg":"RS256"}')}.${base64url.encode('[1]')}.x`, /payload is not a JSON object/],
    ['a payload that is JSON null', `${base64url.encode('{"alg":"RS256"}')}.${base64url.encode('null')}.x`, /payload is not a JSON object/],
  ])('refuses %s as malformed', async (_label, token, detail) => {
    await expectReason(verifier, token, 'malformed', detail);
  });

  it('refuses a header that is not JSON, has crit, or has no usable alg as malformed', async () => {
    const payload = base64url.encode(JSON.stringify({ ...issuer.claims(BASE) }));
    await expectReason(verifier, `${base64url.encode('nope')}.${payload}.${base64url.encode('sig')}`, 'malformed');
    await expectReason(verifier, `${base64url.encode(JSON.stringify({ alg: 'RS256', kid: issuer.keyId, crit: ['exp'], exp: 1 }))}.${payload}.${base64url.encode('sig')}`, 'malformed');
    await expectReason(verifier, `${base64url.encode(JSON.stringify({ kid: issuer.keyId }))}.${payload}.${base64url.encode('sig')}`, 'malformed');
    await expectReason(verifier, `${base64url.encode(JSON.stringify({ alg: '', kid: issuer.keyId }))}.${payload}.${base64url.encode('sig')}`, 'malformed');
  });

  it('accepts no token while the list of audiences is empty, and any of several afterwards', async () => {
    const token = await issuer.mint(BASE);
    const other = await issuer.mint({ ...BASE, audience: 'scenario-audience' });
    const strict = new ServiceAccountVerifier({ audience: [], issuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }] });
    await expectReason(strict, token, 'wrong_audience', /no audience is accepted by this token service yet/);
    strict.setAudiences([SA_AUDIENCE, 'scenario-audience']);
    expect(strict.audiences()).toEqual([SA_AUDIENCE, 'scenario-audience']);
    await expect(strict.verify(token)).resolves.toMatchObject({ name: 'web' });
    await expect(strict.verify(other)).resolves.toMatchObject({ name: 'web' });
  });
});

describe('service-account verifier: static key sets', () => {
  const issuerUrl = 'https://keys.test';
  const claims = (): Record<string, unknown> => ({
    iss: issuerUrl,
    aud: [SA_AUDIENCE],
    sub: 'system:serviceaccount:team-a:web',
    exp: now() + 600,
    'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'web', uid: 'u' } },
  });

  /** Signed with node:crypto, not jose: jose refuses to sign with an RSA key under 2048 bits. */
  function rsa(bits: number): { jwk: JWK; sign: (header?: Record<string, unknown>) => Promise<string> } {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const sign = (header: Record<string, unknown> = {}): Promise<string> => {
      const input = `${base64url.encode(JSON.stringify({ alg: 'RS256', ...header }))}.${base64url.encode(JSON.stringify(claims()))}`;
      return Promise.resolve(`${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`);
    };
    return { jwk, sign };
  }

  const verifierFor = (keys: JWK[]): ServiceAccountVerifier => new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: issuerUrl, jwks: { keys } }] });

  it('accepts a token without kid signed by a key of the set', async () => {
    const key = rsa(2048);
    await expect(verifierFor([key.jwk]).verify(await key.sign())).resolves.toMatchObject({ namespace: 'team-a', name: 'web', uid: 'u' });
  });

  it('ignores RSA keys under 2048 bits (RFC 7518 §3.3)', async () => {
    const weak = rsa(1024);
    await expectReason(verifierFor([weak.jwk]), await weak.sign(), 'bad_signature', /no key of the issuer matches/);
  });

  it('uses only keys whose alg, use and key_ops allow RS256 verification', async () => {
    const key = rsa(2048);
    const token = await key.sign();
    for (const restricted of [{ alg: 'RS384' }, { use: 'enc' }, { key_ops: ['encrypt'] }, { kid: 'k1' }]) {
      const header = 'kid' in restricted ? { kid: 'k2' } : {};
      const signed = 'kid' in restricted ? await key.sign(header) : token;
      await expectReason(verifierFor([{ ...key.jwk, ...restricted }]), signed, 'bad_signature', /no key of the issuer matches/);
    }
    for (const allowed of [{ alg: 'RS256' }, { use: 'sig' }, { key_ops: ['verify'] }]) {
      await expect(verifierFor([{ ...key.jwk, ...allowed }]).verify(token)).resolves.toBeDefined();
    }
    await expect(verifierFor([{ ...key.jwk, kid: 'k1' }]).verify(await key.sign({ kid: 'k1' }))).resolves.toBeDefined();
  });

  it('skips unusable keys (other curves, symmetric, broken) and still uses the good one', async () => {
    const key = rsa(2048);
    const p384 = await exportJWK((await generateKeyPair('ES384', { extractable: true })).publicKey);
    const keys: JWK[] = [p384, { kty: 'oct', k: 'c2VjcmV0' }, { kty: 'RSA', n: 'AQAB', e: 'AQAB' }, { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }, key.jwk];
    await expect(verifierFor(keys).verify(await key.sign())).resolves.toBeDefined();
    await expectReason(verifierFor(keys.slice(0, 4)), await key.sign(), 'bad_signature');
  });

  it('verifies ES256 signatures in their raw r‖s form', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    await expect(verifierFor([jwk]).verify(token)).resolves.toBeDefined();
    const [h, p, s = ''] = token.split('.');
    const sig = Buffer.from(s, 'base64url');
    sig[5] = (sig[5] ?? 0) ^ 1;
    await expectReason(verifierFor([jwk]), `${h}.${p}.${sig.toString('base64url')}`, 'bad_signature', /signature does not verify with the issuer key/);
  });

  const es256 = async (): Promise<{ jwk: JWK; token: string }> => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    return { jwk: await exportJWK(publicKey), token: await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(privateKey) };
  };

  // "No key matches" and "the signature does not verify" are both bad_signature; the detail tells
  // whether a key was even tried, so an EC key of another curve that slipped into the candidates shows.
  it('takes no EC key but P-256 as a candidate for ES256, even with the right kty', async () => {
    const { jwk, token } = await es256();
    const p384 = { ...(await exportJWK((await generateKeyPair('ES384', { extractable: true })).publicKey)), alg: 'ES256' };
    const p521 = await exportJWK((await generateKeyPair('ES512', { extractable: true })).publicKey);
    const error = await expectReason(verifierFor([p384, p521]), token, 'bad_signature');
    expect(error.message).toBe(message('bad_signature', 'no key of the issuer matches the token header'));
    expect(error.issuer).toBe(issuerUrl);
    await expect(verifierFor([p384, p521, jwk]).verify(token)).resolves.toMatchObject({ name: 'web' });
  });

  it('takes no key of the other kty as a candidate (an EC key for an RS256 token)', async () => {
    const { jwk } = await es256();
    const key = rsa(2048);
    const error = await expectReason(verifierFor([jwk]), await key.sign(), 'bad_signature');
    expect(error.message).toBe(message('bad_signature', 'no key of the issuer matches the token header'));
  });

  it('uses a key that has a kid for a token without kid', async () => {
    const key = rsa(2048);
    await expect(verifierFor([{ ...key.jwk, kid: 'k1' }]).verify(await key.sign())).resolves.toMatchObject({ name: 'web' });
  });

  it('accepts a token signed by any one of several candidate keys, not only by the first', async () => {
    const first = rsa(2048);
    const second = rsa(2048);
    await expect(verifierFor([first.jwk, second.jwk]).verify(await second.sign())).resolves.toMatchObject({ name: 'web' });
    const stranger = rsa(2048);
    const error = await expectReason(verifierFor([first.jwk, second.jwk]), await stranger.sign(), 'bad_signature');
    expect(error.message).toBe(message('bad_signature', 'signature does not verify with the issuer key'));
    expect(error.issuer).toBe(issuerUrl);
  });
});

describe('service-account verifier: trust', () => {
  it('refuses to trust an empty issuer, and lists the issuers it trusts', async () => {
    const verifier = new ServiceAccountVerifier({ audience: SA_AUDIENCE });
    expect(() => verifier.trustIssuer({ issuer: '' })).toThrow(/untrusted_issuer.*trustIssuer needs a non-empty issuer/);
    expect(verifier.trustedIssuers()).toEqual([]);
    const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://a.test' });
    verifier.trustIssuer({ issuer: issuer.issuer, jwks: issuer.jwks() });
    expect(verifier.trustedIssuers()).toEqual(['https://a.test']);
    expect(verifier.audiences()).toEqual([SA_AUDIENCE]);
  });

  it('names an unreachable discovery URL as issuer_unreachable and retries it on the next token', async () => {
    const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://late.test' });
    const served = await issuer.serveDiscovery();
    const url = served.url;
    await served.close();
    const verifier = new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: issuer.issuer, discoveryUrl: url }] });
    const token = await issuer.mint(BASE);
    await expectReason(verifier, token, 'issuer_unreachable', /OIDC discovery at .*\/\.well-known\/openid-configuration failed/);
    const again = await issuer.serveDiscovery({ port: Number(new URL(url).port) });
    try {
      await expect(verifier.verify(token)).resolves.toMatchObject({ name: 'web' });
    } finally {
      await again.close();
    }
  });

  it('refuses a discovery document for another issuer, or one without jwks_uri', async () => {
    const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://real.test' });
    const served = await issuer.serveDiscovery();
    try {
      const verifier = new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: 'https://impostor.test', discoveryUrl: `${served.url}/` }] });
      const impostor = await LocalServiceAccountIssuer.create({ issuer: 'https://impostor.test' });
      await expectReason(verifier, await impostor.mint(BASE), 'issuer_unreachable', /document names issuer "https:\/\/real.test", expected "https:\/\/impostor.test"/);
    } finally {
      await served.close();
    }
  });
});

describe('claimedServiceAccount and looksLikeJwt', () => {
  const token = (claims: unknown): string => `${base64url.encode('{"alg":"RS256"}')}.${base64url.encode(JSON.stringify(claims))}.x`;

  it('reads the claimed account from kubernetes.io claims, else from sub, never verifying', () => {
    expect(claimedServiceAccount(token({ 'kubernetes.io': { namespace: 'a', serviceaccount: { name: 'b' } }, sub: 'system:serviceaccount:c:d' }))).toEqual({ namespace: 'a', name: 'b' });
    expect(claimedServiceAccount(token({ sub: 'system:serviceaccount:c:d' }))).toEqual({ namespace: 'c', name: 'd' });
    expect(claimedServiceAccount(token({ 'kubernetes.io': { namespace: 'a' }, sub: 'system:serviceaccount:c:d' }))).toEqual({ namespace: 'c', name: 'd' });
    expect(claimedServiceAccount(token({ sub: 'system:serviceaccount:c:d:e' }))).toBeUndefined();
    expect(claimedServiceAccount(token({ sub: 'system:serviceaccount::d' }))).toBeUndefined();
    expect(claimedServiceAccount(token({ sub: 5 }))).toBeUndefined();
    expect(claimedServiceAccount('garbage')).toBeUndefined();
  });

  it('reads a sub of real names, anchored at its start (a prefix makes it no service account)', () => {
    expect(claimedServiceAccount(token({ sub: 'system:serviceaccount:team-a:web' }))).toStrictEqual({ namespace: 'team-a', name: 'web' });
    expect(claimedServiceAccount(token({ sub: 'x-system:serviceaccount:team-a:web' }))).toBeUndefined();
    expect(claimedServiceAccount(token({ sub: 'system:serviceaccount:team-a:' }))).toBeUndefined();
  });

  it('takes a compact JWS under 16 KiB for a JWT, nothing else', () => {
    expect(looksLikeJwt('a.b.c')).toBe(true);
    expect(looksLikeJwt('a.b.')).toBe(true);
    expect(looksLikeJwt('.b.c')).toBe(false);
    expect(looksLikeJwt('a..c')).toBe(false);
    expect(looksLikeJwt('a.b.c.d')).toBe(false);
    expect(looksLikeJwt('a.b+.c')).toBe(false);
    expect(looksLikeJwt(`a.${'b'.repeat(16_379)}.c`)).toBe(true);
    expect(looksLikeJwt(`a.${'b'.repeat(16_380)}.c`)).toBe(false);
    expect(looksLikeJwt(' a.b.c')).toBe(false);
    expect(looksLikeJwt('a.b.c ')).toBe(false);
  });
});

describe('service-account verifier: what a refusal says (static JWKS)', () => {
  let issuer: LocalServiceAccountIssuer;
  let verifier: ServiceAccountVerifier;

  beforeAll(async () => {
    issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://exact.test' });
    verifier = new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }] });
  });

  /** A token with a hand-written header (and payload): its signature is never reached. */
  const unsigned = (header: string, payload: string = JSON.stringify(issuer.claims(BASE))): string => `${base64url.encode(header)}.${base64url.encode(payload)}.${base64url.encode('sig')}`;

  /** The refusal in full: class name, reason, whole message with advice, and the issuer it names (or none). */
  async function refusal(token: string, reason: RejectionReason, detail: string, named: string | undefined): Promise<ServiceAccountTokenError> {
    const error = await rejection(verifier, token);
    expect(error.name).toBe('ServiceAccountTokenError');
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(message(reason, detail));
    expect(error.issuer).toBe(named);
    return error;
  }

  it.each([
    ['a token that is no JWS', 'malformed', 'not a compact JWS (three base64url parts)', 'none'],
    ['a token of an untrusted issuer', 'untrusted_issuer', 'issuer "https://elsewhere.test" is not trusted', 'https://elsewhere.test'],
    ['an HS256 token', 'algorithm_not_allowed', 'only RS256, ES256 are accepted', 'trusted'],
    ['a flipped signature byte', 'bad_signature', 'signature does not verify with the issuer key', 'trusted'],
    ['another audience', 'wrong_audience', 'aud contains none of the accepted audiences ["pullproof-registry"]', 'trusted'],
    ['an expired token', 'expired', 'exp is in the past', 'trusted'],
    ['a token not yet valid', 'not_yet_valid', 'nbf is in the future', 'trusted'],
    ['a token without sub', 'bad_claims', 'claim sub check failed: missing', 'trusted'],
    ['a token without iss', 'bad_claims', 'no iss claim', 'none'],
  ] as const)('says what failed and what to do for %s', async (label, reason, detail, named) => {
    const claims = issuer.claims(BASE);
    const tokens: Record<typeof label, () => Promise<string>> = {
      'a token that is no JWS': () => Promise.resolve('hunter2'),
      'a token of an untrusted issuer': () => issuer.sign({ ...claims, iss: 'https://elsewhere.test' }),
      'an HS256 token': () => badToken(issuer, 'HS256 keyed with the public key', BASE),
      'a flipped signature byte': () => badToken(issuer, 'flipped signature byte', BASE),
      'another audience': () => badToken(issuer, 'wrong audience', BASE),
      'an expired token': () => badToken(issuer, 'expired', BASE),
      'a token not yet valid': () => badToken(issuer, 'not yet valid', BASE),
      'a token without sub': () => issuer.sign({ ...claims, sub: undefined }),
      'a token without iss': () => issuer.sign({ ...claims, iss: undefined }),
    };
    const token = await tokens[label]();
    const error = await refusal(token, reason, detail, named === 'none' ? undefined : named === 'trusted' ? issuer.issuer : named);
    // Who the token claimed to be (from kubernetes.io), for the audit; a non-JWT claims no one.
    expect(error.claimed).toStrictEqual(label === 'a token that is no JWS' ? undefined : { namespace: 'team-a', name: 'web' });
  });

  it.each([
    ['a header that is not JSON', 'nope', 'JWS Protected Header is invalid'],
    ['a header that is a JSON number', '5', 'JWS Protected Header is invalid'],
    ['a header that is JSON null', 'null', 'JWS Protected Header is invalid'],
    ['a header with crit', '{"alg":"RS256","crit":["exp"],"exp":1}', 'crit header parameters are not supported'],
    ['a header without alg', '{"typ":"JWT"}', 'JWS "alg" (Algorithm) Header Parameter missing or invalid'],
    ['a header with an empty alg', '{"alg":""}', 'JWS "alg" (Algorithm) Header Parameter missing or invalid'],
    ['a header with a numeric alg', '{"alg":256}', 'JWS "alg" (Algorithm) Header Parameter missing or invalid'],
  ])('refuses %s as malformed, naming the issuer', async (_label, header, detail) => {
    await refusal(unsigned(header), 'malformed', detail, issuer.issuer);
  });

  it.each([['a number', '5'], ['a string', '"system:serviceaccount:team-a:web"'], ['a boolean', 'true'], ['null', 'null'], ['an array', '[{"iss":"https://exact.test"}]']])(
    'refuses a payload that is %s as malformed before looking for an issuer',
    async (_label, payload) => {
      await refusal(unsigned('{"alg":"RS256"}', payload), 'malformed', 'payload is not a JSON object', undefined);
    },
  );

  it('quotes at most 200 characters of an untrusted issuer, and keeps all of it in .issuer', async () => {
    const long = `https://${'a'.repeat(300)}.test`;
    await refusal(await issuer.sign({ ...issuer.claims(BASE), iss: long }), 'untrusted_issuer', `issuer ${JSON.stringify(long.slice(0, 200))} is not trusted`, long);
  });

  it('refuses a sub that only ends like a service account, even when kubernetes.io agrees with its tail', async () => {
    const token = await issuer.sign({ ...issuer.claims(BASE), sub: 'x-system:serviceaccount:team-a:web' });
    await refusal(token, 'bad_claims', 'sub is not system:serviceaccount:<namespace>:<name>', issuer.issuer);
  });

  it.each([
    ['kubernetes.io disagreeing with sub', { namespace: 'team-b', serviceaccount: { name: 'web', uid: 'u' } }],
    ['a null kubernetes.io service account', { namespace: 'team-a', serviceaccount: null }],
    ['a kubernetes.io service account that is a string', { namespace: 'team-a', serviceaccount: 'web' }],
  ])('refuses %s as bad_claims, naming the issuer', async (_label, k8s) => {
    const token = await issuer.sign(JSON.parse(JSON.stringify({ ...issuer.claims(BASE), 'kubernetes.io': k8s })) as JWTPayload);
    await refusal(token, 'bad_claims', 'kubernetes.io claims are missing or disagree with sub', issuer.issuer);
  });

  it('keeps the account claimed by sub alone (a legacy token) for the audit, and none when sub claims none', async () => {
    const { 'kubernetes.io': _k8s, ...legacy } = issuer.claims(BASE);
    const error = await refusal(await issuer.sign(legacy), 'bad_claims', 'kubernetes.io claims are missing or disagree with sub', issuer.issuer);
    expect(error.claimed).toStrictEqual({ namespace: 'team-a', name: 'web' });
    const nobody = await refusal(await issuer.sign({ ...legacy, sub: 'system:node:node-1' }), 'bad_claims', 'sub is not system:serviceaccount:<namespace>:<name>', issuer.issuer);
    expect(nobody.claimed).toBeUndefined();
  });

  it('returns exactly the identity of the token, and nothing for a pod or node claim that is null', async () => {
    const token = await issuer.mint({ ...BASE, serviceAccountUid: 'sa-uid', pod: { name: 'web-0', uid: 'pod-uid' }, node: { name: 'node-1', uid: 'node-uid' } });
    const expiresAt = new Date((decodeJwt(token).exp ?? 0) * 1000);
    await expect(verifier.verify(token)).resolves.toStrictEqual({
      issuer: 'https://exact.test',
      subject: 'system:serviceaccount:team-a:web',
      namespace: 'team-a',
      name: 'web',
      uid: 'sa-uid',
      pod: { name: 'web-0', uid: 'pod-uid' },
      node: { name: 'node-1', uid: 'node-uid' },
      expiresAt,
    });
    const claims = issuer.claims({ ...BASE, serviceAccountUid: 'sa-uid' });
    const unbound = await issuer.sign(JSON.parse(JSON.stringify({ ...claims, 'kubernetes.io': { ...claims['kubernetes.io'], pod: null, node: null } })) as JWTPayload);
    await expect(verifier.verify(unbound)).resolves.toStrictEqual({
      issuer: 'https://exact.test',
      subject: 'system:serviceaccount:team-a:web',
      namespace: 'team-a',
      name: 'web',
      uid: 'sa-uid',
      expiresAt: new Date(claims.exp * 1000),
    });
  });
});

describe('service-account verifier: audiences', () => {
  let issuer: LocalServiceAccountIssuer;
  beforeAll(async () => {
    issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://audiences.test' });
  });
  const trusting = (audience: string | readonly string[]): ServiceAccountVerifier => new ServiceAccountVerifier({ audience, issuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }] });

  it('takes one audience as a string or several as an array', async () => {
    expect(trusting('one').audiences()).toStrictEqual(['one']);
    const several = trusting(['one', 'two']);
    expect(several.audiences()).toStrictEqual(['one', 'two']);
    await expect(several.verify(await issuer.mint({ ...BASE, audience: 'two' }))).resolves.toMatchObject({ name: 'web' });
  });

  it('accepts no token once the audiences are set to none, and names the issuer', async () => {
    const verifier = trusting(SA_AUDIENCE);
    const token = await issuer.mint(BASE);
    await expect(verifier.verify(token)).resolves.toMatchObject({ name: 'web' });
    verifier.setAudiences([]);
    expect(verifier.audiences()).toStrictEqual([]);
    const error = await rejection(verifier, token);
    expect(error.message).toBe(message('wrong_audience', 'no audience is accepted by this token service yet'));
    expect(error.issuer).toBe(issuer.issuer);
  });
});

describe('service-account verifier: exp and nbf at the edge of the leeway (clock fixed)', () => {
  // Date alone is faked, so "now" cannot cross a second between minting and verifying.
  const T = 1_900_000_000;
  let issuer: LocalServiceAccountIssuer;
  beforeAll(async () => {
    issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://clock.test' });
  });
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T * 1000 + 500);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const verifierWith = (leewaySeconds?: number): ServiceAccountVerifier =>
    new ServiceAccountVerifier({ audience: SA_AUDIENCE, issuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }], ...(leewaySeconds === undefined ? {} : { leewaySeconds }) });
  const token = (times: { nbf?: number; exp?: number }): Promise<string> => issuer.sign({ ...issuer.claims({ ...BASE, issuedAt: T - 100 }), ...times });

  it.each([
    [undefined, 30],
    [0, 0],
    [120, 120],
  ])('with leeway %s: nbf up to now + %i s is accepted, one second later is not', async (leeway, seconds) => {
    const verifier = verifierWith(leeway);
    expect(verifier.leewaySeconds).toBe(seconds);
    await expect(verifier.verify(await token({ nbf: T + seconds }))).resolves.toMatchObject({ name: 'web' });
    const error = await rejection(verifier, await token({ nbf: T + seconds + 1 }));
    expect(error.message).toBe(message('not_yet_valid', 'nbf is in the future'));
  });

  it.each([
    [undefined, 30],
    [0, 0],
    [120, 120],
  ])('with leeway %s: exp must be later than now - %i s', async (leeway, seconds) => {
    const verifier = verifierWith(leeway);
    await expect(verifier.verify(await token({ exp: T - seconds + 1 }))).resolves.toMatchObject({ expiresAt: new Date((T - seconds + 1) * 1000) });
    const error = await rejection(verifier, await token({ exp: T - seconds }));
    expect(error.message).toBe(message('expired', 'exp is in the past'));
  });
});
