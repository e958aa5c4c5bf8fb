import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomUUID, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { JWK } from 'jose';

/**
 * The same-work floor for a token grant: what any token service must do per request, and nothing
 * else — (1) verify the RS256 service-account JWT presented as the Basic password, (2) sign an
 * ES256 registry JWT whose header carries `x5c`, (3) answer JSON. node:crypto directly, no
 * policy, no audit, no limits, no error handling beyond a 401. The token service's grants/s is
 * reported as a ratio to this server's, measured the same way in the same run.
 */

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

function signingMaterial(): { key: KeyObject; x5c: string } {
  // Same openssl call as registry/token-service/signing.ts, so the x5c header is the same size.
  const out = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=bench-floor', '-keyout', '-', '-out', '-'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const key = createPrivateKey(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(out)?.[0] ?? '');
  const certificate = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0] ?? '');
  return { key, x5c: certificate.raw.toString('base64') };
}

export function startFloor(options: { jwks: { keys: readonly JWK[] }; issuer: string; service: string }): Promise<Server> {
  const publicKeys = new Map(options.jwks.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
  const { key, x5c } = signingMaterial();
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'bench-floor', x5c: [x5c] }));
  const server = createServer((req, res) => {
    const basic = Buffer.from((req.headers.authorization ?? '').slice(6), 'base64').toString();
    const jwt = basic.slice(basic.indexOf(':') + 1);
    const [h = '', p = '', s = ''] = jwt.split('.');
    const kid = (JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid?: string }).kid;
    const publicKey = publicKeys.get(kid);
    if (!publicKey || !verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))) {
      res.writeHead(401).end();
      return;
    }
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { sub: string };
    const now = Math.floor(Date.now() / 1000);
    const scope = new URL(req.url ?? '/', 'http://floor.invalid').searchParams.get('scope') ?? '';
    const name = scope.slice(scope.indexOf(':') + 1, scope.lastIndexOf(':'));
    const payload = b64url(JSON.stringify({ access: [{ type: 'repository', name, actions: ['pull'] }], iss: options.issuer, sub: claims.sub, aud: options.service, iat: now, nbf: now - 5, exp: now + 300, jti: randomUUID() }));
    const input = `${header}.${payload}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    const body = JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
