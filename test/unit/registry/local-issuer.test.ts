import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';

describe('LocalServiceAccountIssuer', () => {
  it('mints an RS256 token with kube-apiserver-shaped claims that verifies against its JWKS', async () => {
    const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://issuer.test' });
    const token = await issuer.mint({
      namespace: 'team-a',
      serviceAccountName: 'puller',
      serviceAccountUid: 'sa-uid',
      audience: 'pullproof-registry',
      pod: { name: 'p', uid: 'pod-uid' },
      node: { name: 'n', uid: 'node-uid' },
    });
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'RS256', kid: issuer.keyId });
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [...issuer.jwks().keys] }), {
      issuer: 'https://issuer.test',
      audience: 'pullproof-registry',
    });
    expect(payload.sub).toBe('system:serviceaccount:team-a:puller');
    expect(payload.aud).toEqual(['pullproof-registry']);
    expect(payload['kubernetes.io']).toEqual({
      namespace: 'team-a',
      serviceaccount: { name: 'puller', uid: 'sa-uid' },
      pod: { name: 'p', uid: 'pod-uid' },
      node: { name: 'n', uid: 'node-uid' },
    });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.nbf!).toBe(3600);
  });

  it('serves OIDC discovery whose jwks_uri returns the signing key', async () => {
    const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://issuer.test' });
    const served = await issuer.serveDiscovery();
    try {
      const doc = (await (await fetch(`${served.url}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
      expect(doc.issuer).toBe('https://issuer.test');
      const jwks = (await (await fetch(doc.jwks_uri)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual([issuer.keyId]);
    } finally {
      await served.close();
    }
  });

  it('rejects a namespace that would make the subject ambiguous', async () => {
    const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://issuer.test' });
    expect(() => issuer.claims({ namespace: 'a:b', serviceAccountName: 's', audience: 'x' })).toThrow(/namespace/);
  });
});
