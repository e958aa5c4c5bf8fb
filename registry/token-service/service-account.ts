import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { compactVerify, createRemoteJWKSet, decodeJwt, errors, type JWK, type JWTVerifyGetKey } from 'jose';

/**
 * Verifies Kubernetes service-account tokens (bound tokens from the TokenRequest API, as kubelet
 * hands them to credential providers under KEP-4412).
 *
 * Rules enforced (issue 3 "Identities"):
 *  - algorithm allow-list RS256/ES256: `alg: none` and HMAC are refused — an HS256 token "signed"
 *    with the issuer's public key is the classic key-confusion attack;
 *  - `iss` must be a trusted issuer; the key comes from that issuer's JWKS only (static, or OIDC
 *    discovery `/.well-known/openid-configuration` → `jwks_uri`, as kube-apiserver publishes it);
 *  - `aud` must contain one of the accepted audiences (an empty list accepts no token); `exp` required, `exp`/`nbf` checked with a small leeway;
 *  - `sub` must be `system:serviceaccount:<ns>:<name>` and agree with the `kubernetes.io` claims.
 *
 * Static JWKS (what the harness trusts) are verified with node:crypto KeyObjects: jose 6 goes
 * through WebCrypto, ~85 µs per RS256 verification in Node 24 against ~25 µs (bench/load profile).
 * Key selection and claim checks follow jose's `createLocalJWKSet` + `jwtVerify` rules, so the
 * rejection reasons are the same on both paths; discovery issuers keep jose's remote key set.
 */

export interface ObjectRef {
  readonly name: string;
  readonly uid: string;
}

export interface ServiceAccountIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly pod?: ObjectRef;
  readonly node?: ObjectRef;
  readonly expiresAt: Date;
}

export interface IssuerTrust {
  readonly issuer: string;
  /** A static JWK Set (e.g. read from the cluster's `/openid/v1/jwks`). */
  readonly jwks?: { readonly keys: readonly JWK[] };
  /**
   * Base URL serving `/.well-known/openid-configuration`; defaults to the issuer URL when no
   * `jwks` is given (Kubernetes structured authentication also lets discovery differ from `iss`).
   */
  readonly discoveryUrl?: string;
}

export type RejectionReason =
  | 'malformed'
  | 'untrusted_issuer'
  | 'algorithm_not_allowed'
  | 'bad_signature'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_claims'
  | 'issuer_unreachable';

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

/** The presented token is not an acceptable service-account token. The token itself is never kept. */
export class ServiceAccountTokenError extends Error {
  readonly reason: RejectionReason;
  readonly issuer?: string;
  /**
   * Who the rejected token *claims* to be (unverified `kubernetes.io` claims), so an audit entry can
   * say "the token presented as team-a/puller was refused: wrong audience". Never an identity.
   */
  claimed?: { readonly namespace: string; readonly name: string };
  constructor(reason: RejectionReason, detail: string, options?: { issuer?: string; cause?: unknown }) {
    super(`service-account token rejected (${reason}): ${detail}; ${ADVICE[reason]}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceAccountTokenError';
    this.reason = reason;
    if (options?.issuer !== undefined) this.issuer = options.issuer;
  }
}

/** The service account a token says it belongs to, read without verifying anything. */
export function claimedServiceAccount(token: string): { namespace: string; name: string } | undefined {
  try {
    const claims = decodeJwt(token) as { sub?: unknown; 'kubernetes.io'?: { namespace?: unknown; serviceaccount?: { name?: unknown } } };
    const k8s = claims['kubernetes.io'];
    if (typeof k8s?.namespace === 'string' && typeof k8s.serviceaccount?.name === 'string') return { namespace: k8s.namespace, name: k8s.serviceaccount.name };
    const match = typeof claims.sub === 'string' ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub) : null;
    return match?.[1] && match[2] ? { namespace: match[1], name: match[2] } : undefined;
  } catch {
    return undefined;
  }
}

export class IssuerDiscoveryError extends Error {
  readonly url: string;
  constructor(url: string, detail: string, options?: { cause?: unknown }) {
    super(`OIDC discovery at ${url} failed: ${detail}; check that the issuer serves /.well-known/openid-configuration or configure its jwks statically`, options);
    this.name = 'IssuerDiscoveryError';
    this.url = url;
  }
}

export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'] as const;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(value: string): boolean {
  return value.length < 16_384 && JWT_SHAPE.test(value);
}

async function discover(issuer: string, base: string): Promise<JWTVerifyGetKey> {
  const url = `${base.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let document: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
    if (!response.ok) throw new IssuerDiscoveryError(url, `HTTP ${response.status}`);
    document = await response.json();
  } catch (error) {
    if (error instanceof IssuerDiscoveryError) throw error;
    throw new IssuerDiscoveryError(url, error instanceof Error ? error.message : String(error), { cause: error });
  }
  const doc = document as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery §4.3: the document's issuer MUST equal the issuer it was fetched for.
  if (doc.issuer !== issuer) throw new IssuerDiscoveryError(url, `document names issuer ${JSON.stringify(doc.issuer)}, expected ${JSON.stringify(issuer)}`);
  if (typeof doc.jwks_uri !== 'string') throw new IssuerDiscoveryError(url, 'document has no jwks_uri');
  return createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: 5_000 });
}

export class ServiceAccountVerifier {
  #audiences: readonly string[];
  readonly leewaySeconds: number;
  readonly #issuers = new Map<string, { trust: IssuerTrust; keys?: Promise<IssuerKeys> }>();

  constructor(options: { audience: string | readonly string[]; issuers?: readonly IssuerTrust[]; leewaySeconds?: number }) {
    this.#audiences = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
    this.leewaySeconds = options.leewaySeconds ?? 30;
    for (const trust of options.issuers ?? []) this.trustIssuer(trust);
  }

  /** Adds (or replaces) a trusted issuer at runtime: the kind tier learns the JWKS after cluster start. */
  trustIssuer(trust: IssuerTrust): void {
    if (!trust.issuer) throw new ServiceAccountTokenError('untrusted_issuer', 'trustIssuer needs a non-empty issuer');
    this.#issuers.set(trust.issuer, { trust });
  }

  /** Replaces the accepted audiences (scenarios may each use their own provider audience). */
  setAudiences(audiences: readonly string[]): void {
    this.#audiences = [...audiences];
  }

  audiences(): readonly string[] {
    return [...this.#audiences];
  }

  trustedIssuers(): string[] {
    return [...this.#issuers.keys()];
  }

  #keys(issuer: string): Promise<IssuerKeys> | undefined {
    const entry = this.#issuers.get(issuer);
    if (!entry) return undefined;
    if (!entry.keys) {
      const { trust } = entry;
      entry.keys = trust.jwks
        ? Promise.resolve({ kind: 'static', keys: staticKeys(trust.jwks.keys) })
        : discover(issuer, trust.discoveryUrl ?? issuer).then((getKey) => ({ kind: 'remote', getKey }));
      // A failed discovery is retried on the next token rather than cached forever.
      entry.keys.catch(() => {
        if (this.#issuers.get(issuer) === entry) entry.keys = undefined;
      });
    }
    return entry.keys;
  }

  async verify(token: string): Promise<ServiceAccountIdentity> {
    try {
      return await this.#verify(token);
    } catch (error) {
      if (error instanceof ServiceAccountTokenError) {
        const claimed = claimedServiceAccount(token);
        if (claimed) error.claimed = claimed;
      }
      throw error;
    }
  }

  async #verify(token: string): Promise<ServiceAccountIdentity> {
    if (!looksLikeJwt(token)) throw new ServiceAccountTokenError('malformed', 'not a compact JWS (three base64url parts)');
    const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = token.split('.');
    const payload = jsonObject(encodedPayload);
    if (!payload) throw new ServiceAccountTokenError('malformed', 'payload is not a JSON object');
    const unverifiedIssuer = payload.iss;
    if (typeof unverifiedIssuer !== 'string') throw new ServiceAccountTokenError('bad_claims', 'no iss claim');
    const keys = this.#keys(unverifiedIssuer);
    if (!keys) throw new ServiceAccountTokenError('untrusted_issuer', `issuer ${JSON.stringify(unverifiedIssuer.slice(0, 200))} is not trusted`, { issuer: unverifiedIssuer });
    let issuerKeys: IssuerKeys;
    try {
      issuerKeys = await keys;
    } catch (error) {
      throw new ServiceAccountTokenError('issuer_unreachable', error instanceof Error ? error.message : String(error), { issuer: unverifiedIssuer, cause: error });
    }
    const audiences = this.#audiences;
    if (audiences.length === 0) throw new ServiceAccountTokenError('wrong_audience', 'no audience is accepted by this token service yet', { issuer: unverifiedIssuer });
    const options = { issuer: unverifiedIssuer };
    if (issuerKeys.kind === 'static') {
      verifyWithStaticKeys(encodedHeader, encodedPayload, encodedSignature, issuerKeys.keys, unverifiedIssuer);
    } else {
      try {
        await compactVerify(token, issuerKeys.getKey, { algorithms: [...ALLOWED_ALGORITHMS] });
      } catch (error) {
        throw mapJoseError(error, unverifiedIssuer);
      }
    }
    checkClaims(payload, audiences, this.leewaySeconds, options);
    return identityFromClaims(payload, unverifiedIssuer);
  }
}

type IssuerKeys = { readonly kind: 'static'; readonly keys: readonly VerificationKey[] } | { readonly kind: 'remote'; readonly getKey: JWTVerifyGetKey };

interface VerificationKey {
  readonly jwk: JWK;
  readonly key: KeyObject;
}

function jsonObject(encoded: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** KeyObjects for the usable signing keys of a JWK Set (RSA ≥ 2048 bits, EC P-256), imported once. */
function staticKeys(jwks: readonly JWK[]): VerificationKey[] {
  return jwks.flatMap((jwk) => {
    if (jwk.kty !== 'RSA' && !(jwk.kty === 'EC' && jwk.crv === 'P-256')) return [];
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      // RFC 7518 §3.3: RS* keys MUST be 2048 bits or larger (jose enforces the same).
      if (jwk.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return [];
      return [{ jwk, key }];
    } catch {
      return []; // an unusable key in the set matches nothing, as in jose's local key set
    }
  });
}

/** jose `createLocalJWKSet` selection (kty from alg, kid, alg, use, key_ops), then the signature. */
function verifyWithStaticKeys(encodedHeader: string, encodedPayload: string, encodedSignature: string, keys: readonly VerificationKey[], issuer: string): void {
  const header = jsonObject(encodedHeader);
  if (!header) throw new ServiceAccountTokenError('malformed', 'JWS Protected Header is invalid', { issuer });
  // RFC 7515 §4.1.11: a crit extension the verifier does not understand makes the JWS invalid.
  if (header.crit !== undefined) throw new ServiceAccountTokenError('malformed', 'crit header parameters are not supported', { issuer });
  const { alg, kid } = header;
  if (typeof alg !== 'string' || alg === '') throw new ServiceAccountTokenError('malformed', 'JWS "alg" (Algorithm) Header Parameter missing or invalid', { issuer });
  if (alg !== 'RS256' && alg !== 'ES256') throw new ServiceAccountTokenError('algorithm_not_allowed', `only ${ALLOWED_ALGORITHMS.join(', ')} are accepted`, { issuer });
  const kty = alg === 'RS256' ? 'RSA' : 'EC';
  const candidates = keys.filter(({ jwk }) =>
    jwk.kty === kty &&
    (kid === undefined || jwk.kid === kid) &&
    (jwk.alg === undefined || jwk.alg === alg) &&
    (jwk.use === undefined || jwk.use === 'sig') &&
    (jwk.key_ops === undefined || jwk.key_ops.includes('verify')),
  );
  if (candidates.length === 0) throw new ServiceAccountTokenError('bad_signature', 'no key of the issuer matches the token header', { issuer });
  // latin1: looksLikeJwt admitted only base64url and '.', so the signing input's bytes are a plain copy.
  const data = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1');
  const signature = Buffer.from(encodedSignature, 'base64url');
  const verified = candidates.some(({ key }) => {
    try {
      // RFC 7518 §3.4: ES256 signatures are raw r‖s, not DER.
      return verifySignature('sha256', data, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature);
    } catch {
      return false;
    }
  });
  if (!verified) throw new ServiceAccountTokenError('bad_signature', 'signature does not verify with the issuer key', { issuer });
}

/** The claim checks of jose's `jwtVerify` with requiredClaims exp+sub, an issuer and audiences, in its order. */
function checkClaims(payload: Record<string, unknown>, audiences: readonly string[], leewaySeconds: number, options: { issuer: string }): void {
  for (const claim of ['iss', 'aud', 'sub', 'exp']) {
    if (Object.hasOwn(payload, claim)) continue;
    if (claim === 'aud') throw new ServiceAccountTokenError('wrong_audience', `aud contains none of the accepted audiences ${JSON.stringify(audiences)}`, options);
    throw new ServiceAccountTokenError('bad_claims', `claim ${claim} check failed: missing`, options);
  }
  const aud = payload.aud;
  const audienceOk = typeof aud === 'string' ? audiences.includes(aud) : Array.isArray(aud) && audiences.some((accepted) => aud.includes(accepted));
  if (!audienceOk) throw new ServiceAccountTokenError('wrong_audience', `aud contains none of the accepted audiences ${JSON.stringify(audiences)}`, options);
  const now = Math.floor(Date.now() / 1000);
  if (payload.iat !== undefined && typeof payload.iat !== 'number') throw new ServiceAccountTokenError('bad_claims', 'claim iat check failed: invalid', options);
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now + leewaySeconds)) throw new ServiceAccountTokenError('not_yet_valid', 'nbf is in the future', options);
  if (typeof payload.exp !== 'number') throw new ServiceAccountTokenError('bad_claims', 'claim exp check failed: invalid', options);
  if (payload.exp <= now - leewaySeconds) throw new ServiceAccountTokenError('expired', 'exp is in the past', options);
}

/** jose's errors from `compactVerify` (signature and header only: the claims are checked by checkClaims, as on the static path). */
function mapJoseError(error: unknown, issuer: string): ServiceAccountTokenError {
  const options = { issuer, cause: error };
  if (error instanceof errors.JOSEAlgNotAllowed) return new ServiceAccountTokenError('algorithm_not_allowed', `only ${ALLOWED_ALGORITHMS.join(', ')} are accepted`, options);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new ServiceAccountTokenError('bad_signature', 'signature does not verify with the issuer key', options);
  if (error instanceof errors.JWKSNoMatchingKey) return new ServiceAccountTokenError('bad_signature', 'no key of the issuer matches the token header', options);
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return new ServiceAccountTokenError('malformed', error.message, options);
  // An unsupported crit header: the static path calls it malformed (RFC 7515 §4.1.11), so does this one.
  if (error instanceof errors.JOSENotSupported) return new ServiceAccountTokenError('malformed', 'crit header parameters are not supported', options);
  if (error instanceof errors.JOSEError) return new ServiceAccountTokenError('bad_signature', error.code, options);
  return new ServiceAccountTokenError('malformed', error instanceof Error ? error.message : String(error), options);
}

const SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;

function ref(value: unknown): ObjectRef | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, uid } = value as { name?: unknown; uid?: unknown };
  return typeof name === 'string' && typeof uid === 'string' ? { name, uid } : undefined;
}

function identityFromClaims(payload: Record<string, unknown>, issuer: string): ServiceAccountIdentity {
  const subject = String(payload.sub);
  const match = SUBJECT.exec(subject);
  if (!match) throw new ServiceAccountTokenError('bad_claims', 'sub is not system:serviceaccount:<namespace>:<name>', { issuer });
  const [, namespace = '', name = ''] = match;
  const k8s = payload['kubernetes.io'] as { namespace?: unknown; serviceaccount?: unknown; pod?: unknown; node?: unknown } | undefined;
  const serviceAccount = ref(k8s?.serviceaccount);
  // Bound tokens carry kubernetes.io.{namespace,serviceaccount}; legacy secret tokens do not and are refused.
  if (!k8s || k8s.namespace !== namespace || !serviceAccount || serviceAccount.name !== name) {
    throw new ServiceAccountTokenError('bad_claims', 'kubernetes.io claims are missing or disagree with sub', { issuer });
  }
  const pod = ref(k8s.pod);
  const node = ref(k8s.node);
  // Assigned, not spread in: a spread copies an object per request (bench profile).
  const identity: { -readonly [K in keyof ServiceAccountIdentity]: ServiceAccountIdentity[K] } = { issuer, subject, namespace, name, uid: serviceAccount.uid, expiresAt: new Date(Number(payload.exp) * 1000) };
  if (pod) identity.pod = pod;
  if (node) identity.node = node;
  return identity;
}
