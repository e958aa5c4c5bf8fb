import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, importPKCS8, importSPKI, SignJWT, type CryptoKey, type JWK, type JWTPayload, type JWTHeaderParameters } from 'jose';

/**
 * A local stand-in for kube-apiserver's service-account token issuer. Tokens carry the claims
 * kube-apiserver puts into a bound (TokenRequest) token:
 *   iss, sub=system:serviceaccount:<ns>:<name>, aud=[...], exp, iat, nbf, jti,
 *   kubernetes.io: {namespace, serviceaccount{name,uid}, pod{name,uid}?, node{name,uid}?}
 * and are RS256-signed with a `kid` computed like kube-apiserver's `keyIDFromPublicKey`
 * (base64url, unpadded, of SHA-256 over the PKIX DER public key). No `typ` header: kube-apiserver
 * (go-jose) does not set one.
 */

export interface ObjectRef {
  readonly name: string;
  readonly uid: string;
}

export interface MintOptions {
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** Defaults to a fresh UUID. */
  readonly serviceAccountUid?: string;
  /** One audience or several; kube-apiserver always emits `aud` as an array. */
  readonly audience: string | readonly string[];
  readonly pod?: ObjectRef;
  /** A node whose UID is unknown (an empty `uid`) is claimed by name only, as kube-apiserver does for a missing Node object. */
  readonly node?: ObjectRef;
  /** Secret-bound tokens (TokenRequest with boundObjectRef kind Secret). */
  readonly secret?: ObjectRef;
  /** `kubernetes.io.warnafter` (seconds since epoch): only on extended pod-bound tokens (pkg/serviceaccount/claims.go). */
  readonly warnAfter?: number;
  /** Default 3600 (kubelet's credential-provider tokens are typically 10 min to 1 h). */
  readonly expiresInSeconds?: number;
  /** Seconds since epoch, or a Date. Default: now. */
  readonly notBefore?: number | Date;
  /** Seconds since epoch, or a Date. Default: now. */
  readonly issuedAt?: number | Date;
}

export interface ServiceAccountClaims extends JWTPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf: number;
  readonly jti: string;
  readonly 'kubernetes.io': {
    readonly namespace: string;
    readonly serviceaccount: ObjectRef;
    readonly pod?: ObjectRef;
    readonly node?: ObjectRef | { readonly name: string };
    readonly secret?: ObjectRef;
    readonly warnafter?: number;
  };
}

export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

export interface DiscoveryServer {
  /** Base URL (`http://127.0.0.1:<port>`); the document is at `<url>/.well-known/openid-configuration`. */
  readonly url: string;
  readonly jwksUri: string;
  close(): Promise<void>;
}

export class LocalIssuerError extends Error {
  readonly field: string;
  constructor(field: string, detail: string) {
    super(`local service-account issuer: ${field} ${detail}`);
    this.name = 'LocalIssuerError';
    this.field = field;
  }
}

const toSeconds = (value: number | Date | undefined, fallback: number): number =>
  value === undefined ? fallback : value instanceof Date ? Math.floor(value.getTime() / 1000) : Math.floor(value);

/** Kubernetes names: DNS-1123 subdomain-ish; anything with ':' would make the subject ambiguous. */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class LocalServiceAccountIssuer {
  readonly issuer: string;
  readonly keyId: string;
  readonly algorithm: 'RS256' | 'ES256';
  readonly #privateKey: CryptoKey;
  readonly #publicJwk: JWK;
  /** PEM SPKI of the public key: tests use it to forge an HS256 token keyed with the public key. */
  readonly publicKeyPem: string;

  private constructor(issuer: string, algorithm: 'RS256' | 'ES256', privateKey: CryptoKey, publicJwk: JWK, keyId: string, publicKeyPem: string) {
    this.issuer = issuer;
    this.algorithm = algorithm;
    this.#privateKey = privateKey;
    this.#publicJwk = publicJwk;
    this.keyId = keyId;
    this.publicKeyPem = publicKeyPem;
  }

  /**
   * An issuer over an existing RSA key pair in PEM (PKCS#8 private key, SPKI public key), such as a
   * cluster's /etc/kubernetes/pki/sa.key and sa.pub. PKCS#1 (`BEGIN RSA PRIVATE KEY`) keys must be
   * converted to PKCS#8 first (node:crypto createPrivateKey(...).export({type: 'pkcs8', format: 'pem'})).
   */
  static async fromKeyPair(options: { issuer: string; privateKeyPem: string; publicKeyPem: string }): Promise<LocalServiceAccountIssuer> {
    if (!options.issuer) throw new LocalIssuerError('issuer', 'is empty: pass the issuer URL the verifier will trust');
    const privateKey = await importPKCS8(options.privateKeyPem, 'RS256');
    const publicKey = await importSPKI(options.publicKeyPem, 'RS256', { extractable: true });
    const spki = await exportSPKI(publicKey);
    const der = Buffer.from(spki.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    // kube-apiserver pkg/serviceaccount/jwt.go keyIDFromPublicKey: base64url(sha256(PKIX DER)), no padding.
    const keyId = createHash('sha256').update(der).digest('base64url');
    const jwk = { ...(await exportJWK(publicKey)), kid: keyId, use: 'sig', alg: 'RS256' };
    return new LocalServiceAccountIssuer(options.issuer, 'RS256', privateKey, jwk, keyId, spki);
  }

  /** RS256 by default, like kube-apiserver's default `--service-account-signing-key-file` (RSA). */
  static async create(options: { issuer: string; algorithm?: 'RS256' | 'ES256' }): Promise<LocalServiceAccountIssuer> {
    if (!options.issuer) throw new LocalIssuerError('issuer', 'is empty: pass the issuer URL the verifier will trust');
    const algorithm = options.algorithm ?? 'RS256';
    const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
    const spki = await exportSPKI(publicKey);
    const der = Buffer.from(spki.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    // kube-apiserver pkg/serviceaccount/jwt.go keyIDFromPublicKey: base64url(sha256(PKIX DER)), no padding.
    const keyId = createHash('sha256').update(der).digest('base64url');
    const jwk = { ...(await exportJWK(publicKey)), kid: keyId, use: 'sig', alg: algorithm };
    return new LocalServiceAccountIssuer(options.issuer, algorithm, privateKey, jwk, keyId, spki);
  }

  jwks(): JsonWebKeySet {
    return { keys: [{ ...this.#publicJwk }] };
  }

  /** Claims exactly as `mint` would sign them (useful to assert on, or to alter and `sign`). */
  claims(options: MintOptions): ServiceAccountClaims {
    for (const [field, value] of [['namespace', options.namespace], ['serviceAccountName', options.serviceAccountName]] as const) {
      if (!NAME.test(value)) throw new LocalIssuerError(field, `"${value}" is not a valid Kubernetes name (lowercase alphanumerics, '-', '.')`);
    }
    const now = Math.floor(Date.now() / 1000);
    const iat = toSeconds(options.issuedAt, now);
    const nbf = toSeconds(options.notBefore, iat);
    const audience = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
    if (audience.length === 0) throw new LocalIssuerError('audience', 'is empty: kube-apiserver never issues a token without an audience');
    return {
      aud: audience,
      exp: nbf + (options.expiresInSeconds ?? 3600),
      iat,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace: options.namespace,
        ...(options.node ? { node: options.node.uid ? { ...options.node } : { name: options.node.name } } : {}),
        ...(options.pod ? { pod: { ...options.pod } } : {}),
        ...(options.secret ? { secret: { ...options.secret } } : {}),
        serviceaccount: { name: options.serviceAccountName, uid: options.serviceAccountUid ?? randomUUID() },
        ...(options.warnAfter !== undefined ? { warnafter: options.warnAfter } : {}),
      },
      nbf,
      sub: `system:serviceaccount:${options.namespace}:${options.serviceAccountName}`,
    };
  }

  async mint(options: MintOptions): Promise<string> {
    return this.sign(this.claims(options));
  }

  /**
   * Signs arbitrary claims with this issuer's key (tests use it to build tokens that are validly
   * signed but wrong: other issuer, other audience, expired, missing claims...).
   */
  async sign(payload: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: this.algorithm, kid: this.keyId, ...header }).sign(this.#privateKey);
  }

  /**
   * Serves OIDC discovery like kube-apiserver's ServiceAccountIssuerDiscovery on 127.0.0.1:
   * `/.well-known/openid-configuration` (issuer = this.issuer, jwks_uri) and `/openid/v1/jwks`.
   */
  async serveDiscovery(options: { host?: string; port?: number } = {}): Promise<DiscoveryServer> {
    const host = options.host ?? '127.0.0.1';
    let base = '';
    const server: Server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'GET') return send(405, { error: 'method not allowed' });
      if (path === '/.well-known/openid-configuration') {
        return send(200, {
          issuer: this.issuer,
          jwks_uri: `${base}/openid/v1/jwks`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [this.algorithm],
        });
      }
      if (path === '/openid/v1/jwks') return send(200, this.jwks());
      return send(404, { error: 'not found' });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    base = `http://${host}:${port}`;
    return {
      url: base,
      jwksUri: `${base}/openid/v1/jwks`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
}
