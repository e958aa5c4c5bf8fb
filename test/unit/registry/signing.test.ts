import { createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importX509, jwtVerify, base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenSigner, libtrustKeyId } from '../../../registry/token-service/signing.ts';
import { AuditLog, REDACTED } from '../../../registry/token-service/audit.ts';

describe('registry token signing', () => {
  it('computes the libtrust key id of the spec example key', () => {
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: 'm7zUpx3b-zmVE5cymSs64POG9QcyEpJaYCD82-549_Q', y: 'dU3biz8sZ_8GPB-odm8Wxz3lNDr1xcAQQPQaOcr1fmc' },
      format: 'jwk',
    });
    expect(libtrustKeyId(key.export({ type: 'spki', format: 'der' }))).toBe('PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6');
  });

  it.each(['ES256', 'RS256'] as const)('signs %s tokens with x5c, a string aud and the requested access', async (algorithm) => {
    const signer = await createTokenSigner({ algorithm });
    const { token } = await signer.sign({ issuer: 'iss', audience: 'svc', subject: 'me', access: [{ type: 'repository', name: 'a/b', actions: ['pull'] }], expiresInSeconds: 300 });
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: algorithm, typ: 'JWT', kid: signer.keyId });
    expect(header.x5c).toHaveLength(1);
    expect(signer.certificatePem).toContain(header.x5c?.[0]?.slice(0, 40));
    const claims = decodeJwt(token);
    expect(typeof claims.aud).toBe('string');
    expect(claims.access).toEqual([{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
    await jwtVerify(token, await importX509(signer.certificatePem, algorithm), { issuer: 'iss', audience: 'svc' });
    if (algorithm === 'ES256') expect(base64url.decode(token.split('.')[2] ?? '')).toHaveLength(64); // raw r‖s, not DER
  });
});

describe('audit redaction', () => {
  it('masks JWTs, minted credentials and registered secrets in every field', () => {
    const log = new AuditLog();
    log.registerSecret('hunter2-admin');
    log.record({
      client: '127.0.0.1', endpoint: 'token', method: 'GET', status: 401, outcome: 'rejected', identity: 'unknown',
      requestedScopes: [], grantedScopes: [],
      denyReason: 'saw eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln and ppx_AAAAAAAAAAAAAAAAAAAAAAAAAAAA and hunter2-admin',
    });
    expect(log.entries()[0]?.denyReason).toBe(`saw ${REDACTED} and ${REDACTED} and ${REDACTED}`);
  });
});
