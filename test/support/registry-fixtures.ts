import { randomBytes } from 'node:crypto';
import { SignJWT, base64url, decodeJwt } from 'jose';
import type { LocalServiceAccountIssuer, MintOptions } from '../../harness/identity/local-issuer.ts';
import { parsePolicyYaml, type Policy } from '../../registry/index.ts';
import type { RejectionReason } from '../../registry/token-service/service-account.ts';

/** The policy the registry suites share: team-a pulls team-a/*, team-a/builder may push, role R for ns-a. */
export const TEST_POLICY: Policy = parsePolicyYaml(
  `
subjects:
  - name: team-a pulls its repositories
    match: { namespace: team-a, serviceAccount: "*" }
    grants:
      - repositories: ["team-a/*"]
        actions: [pull]
  - name: team-a builder pushes
    match: { namespace: team-a, serviceAccount: builder }
    grants:
      - repositories: ["team-a/*"]
        actions: [push]
roles:
  - name: R
    trust: [{ namespace: ns-a, serviceAccount: "*" }]
    grants:
      - repositories: ["shared/*"]
        actions: [pull]
`,
  'test/support/registry-fixtures.ts',
);

export const SA_AUDIENCE = 'pullproof-registry';

export function randomAdmin(): { username: string; password: string } {
  return { username: `admin-${randomBytes(3).toString('hex')}`, password: `pw-${randomBytes(18).toString('base64url')}` };
}

export type BadTokenKind = 'wrong audience' | 'wrong issuer' | 'expired' | 'alg none' | 'HS256 keyed with the public key' | 'flipped signature byte' | 'not yet valid';

/** Tokens that must be refused, each otherwise shaped like a valid one for `base`. */
export async function badToken(issuer: LocalServiceAccountIssuer, kind: BadTokenKind, base: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  switch (kind) {
    case 'wrong audience':
      return issuer.mint({ ...base, audience: 'some-other-audience' });
    case 'wrong issuer':
      return issuer.sign({ ...issuer.claims(base), iss: 'https://not-the-trusted-issuer.test' });
    case 'expired':
      return issuer.mint({ ...base, issuedAt: now - 7200, expiresInSeconds: 3600 });
    case 'not yet valid':
      return issuer.mint({ ...base, notBefore: now + 3600, issuedAt: now + 3600 });
    case 'alg none': {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const payload = base64url.encode(JSON.stringify(issuer.claims(base)));
      return `${header}.${payload}.`;
    }
    case 'HS256 keyed with the public key':
      // The key-confusion attack: an HMAC "signed" with the issuer's public key, which anyone has.
      return new SignJWT({ ...issuer.claims(base) }).setProtectedHeader({ alg: 'HS256', kid: issuer.keyId }).sign(new TextEncoder().encode(issuer.publicKeyPem));
    case 'flipped signature byte': {
      const token = await issuer.mint(base);
      const [h, p, s = ''] = token.split('.');
      const signature = Buffer.from(base64url.decode(s));
      signature[10] = (signature[10] ?? 0) ^ 0x01;
      const flipped = `${h}.${p}.${base64url.encode(signature)}`;
      decodeJwt(flipped); // still a well-formed JWT: only the signature is wrong
      return flipped;
    }
  }
}

export const BAD_TOKEN_KINDS: readonly BadTokenKind[] = ['wrong audience', 'wrong issuer', 'expired', 'alg none', 'HS256 keyed with the public key', 'flipped signature byte', 'not yet valid'];

/**
 * Why each bad token must be refused. A token refused for another reason is a bug even though it is
 * still refused: with the algorithm allow-list gone, `alg: none` and HS256 fail later as
 * bad_signature, and the key-confusion defence is no longer what stops them.
 */
export const BAD_TOKEN_REASON: Readonly<Record<BadTokenKind, RejectionReason>> = {
  'wrong audience': 'wrong_audience',
  'wrong issuer': 'untrusted_issuer',
  expired: 'expired',
  'alg none': 'algorithm_not_allowed',
  'HS256 keyed with the public key': 'algorithm_not_allowed',
  'flipped signature byte': 'bad_signature',
  'not yet valid': 'not_yet_valid',
};
