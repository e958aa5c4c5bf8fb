import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { execa } from 'execa';
import type { ResourceScope } from './scope.ts';

/**
 * Per-run signing key + self-signed certificate for registry tokens.
 *
 * Why openssl: Node can parse X.509 (X509Certificate) but has no API to create a certificate, and
 * hand-writing DER for a signed TBSCertificate is a lot of ASN.1 to get subtly wrong. The openssl
 * CLI is present wherever docker-registry is (Debian), and `-keyout - -out -` keeps the private key
 * off the disk: key and cert come back on stdout and live only in this process.
 *
 * Why x5c: distribution 2.8 tries x5c → jwk → kid, v3 tries x5c first and only then jwk/kid; a
 * self-signed cert that is itself in `rootcertbundle` verifies in both (reference §2.2 "Portable
 * choice"). The libtrust `kid` is added as well: harmless because x5c wins in both versions.
 *
 * Why node:crypto and not jose's SignJWT: jose 6 signs through WebCrypto, which in Node 24 costs
 * ~95 µs per ES256 token against ~30 µs for `crypto.sign` with a KeyObject (bench/load profile:
 * WebCrypto jobs were a third of the token service's CPU). The header is the same for every token,
 * so it is serialised once.
 */

export type SigningAlgorithm = 'ES256' | 'RS256';

export interface AccessEntry {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

export interface RegistryTokenClaims {
  readonly issuer: string;
  /** The registry's `auth.token.service`; emitted as a JSON string (2.8 rejects an array, §2.3). */
  readonly audience: string;
  readonly subject: string;
  readonly access: readonly AccessEntry[];
  readonly expiresInSeconds: number;
}

export interface TokenSigner {
  readonly algorithm: SigningAlgorithm;
  /** PEM of the self-signed certificate: the registry's `rootcertbundle`. */
  readonly certificatePem: string;
  /** libtrust-format key id (reference §1.5). */
  readonly keyId: string;
  sign(claims: RegistryTokenClaims): Promise<{ token: string; issuedAt: Date; expiresAt: Date }>;
}

export class SigningSetupError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`creating the registry token signing key failed: ${detail}; is the openssl CLI installed (Debian: apt-get install openssl)?`, options);
    this.name = 'SigningSetupError';
  }
}

/** libtrust keyIDFromCryptoKey: SPKI DER → SHA-256 → first 30 bytes → base32 → groups of 4 joined by ':'. */
export function libtrustKeyId(spkiDer: Buffer): string {
  const bytes = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return (out.match(/.{4}/g) ?? []).join(':');
}

function pemBlock(text: string, label: string): string {
  const match = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`).exec(text);
  if (!match) throw new SigningSetupError(`openssl output has no ${label} block`);
  return `${match[0]}\n`;
}

export async function createTokenSigner(options: { algorithm?: SigningAlgorithm; commonName?: string } = {}): Promise<TokenSigner> {
  const algorithm = options.algorithm ?? 'ES256';
  const keyArgs = algorithm === 'ES256' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  const subject = `/CN=${options.commonName ?? 'pullproof-token-signer'}`;
  const result = await execa('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-sha256', '-days', '2', '-subj', subject, '-keyout', '-', '-out', '-'], {
    reject: false,
    stdin: 'ignore',
  });
  if (result.exitCode !== 0) throw new SigningSetupError(`openssl req exited ${String(result.exitCode)}: ${result.stderr.slice(-500)}`);
  const keyPem = pemBlock(result.stdout, 'PRIVATE KEY');
  const certificatePem = pemBlock(result.stdout, 'CERTIFICATE');
  const certificate = new X509Certificate(certificatePem);
  const spkiDer = certificate.publicKey.export({ type: 'spki', format: 'der' });
  const keyId = libtrustKeyId(spkiDer);
  const x5c = certificate.raw.toString('base64'); // RFC 7515 §4.1.6: standard base64 DER, not base64url
  const privateKey = createPrivateKey(keyPem);
  // jwt.md: header needs typ "JWT" and alg; x5c chains to rootcertbundle in 2.8 and v3.
  const header = Buffer.from(JSON.stringify({ alg: algorithm, typ: 'JWT', kid: keyId, x5c: [x5c] })).toString('base64url');
  // RFC 7518 §3.4: an ES256 JWS signature is raw r‖s (64 bytes), not the DER node:crypto defaults to.
  const signOptions = algorithm === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  return {
    algorithm,
    certificatePem,
    keyId,
    sign(claims) {
      const now = Math.floor(Date.now() / 1000);
      const exp = now + claims.expiresInSeconds;
      const payload = {
        access: claims.access.map((entry) => ({ type: entry.type, name: entry.name, actions: [...entry.actions] })),
        iss: claims.issuer,
        sub: claims.subject,
        aud: claims.audience, // a string, never an array: 2.8 cannot unmarshal an array (§2.3)
        iat: now,
        nbf: now - 5,
        exp,
        jti: randomUUID(),
      };
      const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      // latin1: the signing input is base64url and '.', ASCII, so its bytes are a plain copy (no UTF-8 encoder pass).
      const token = `${input}.${sign('sha256', Buffer.from(input, 'latin1'), signOptions).toString('base64url')}`;
      return Promise.resolve({ token, issuedAt: new Date(now * 1000), expiresAt: new Date(exp * 1000) });
    },
  };
}

export function accessFromScopes(scopes: readonly ResourceScope[]): AccessEntry[] {
  return scopes.filter((scope) => scope.actions.length > 0).map((scope) => ({ type: scope.type, name: scope.name, actions: [...scope.actions] }));
}
