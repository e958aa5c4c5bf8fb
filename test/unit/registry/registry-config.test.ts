import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { distributionConfig } from '../../../registry/index.ts';
import { librariesFromLdd } from '../../../registry/container/registry-image.ts';

describe('distribution config', () => {
  it('configures token auth with realm, service, issuer and the root cert bundle', () => {
    const config = parse(distributionConfig({ realm: 'http://172.18.0.1:5001/token', service: 'svc', issuer: 'iss', rootCertBundlePath: '/etc/distribution/token-root.pem' })) as Record<string, unknown>;
    expect(config).toMatchObject({
      version: 0.1,
      http: { addr: ':5000' },
      storage: { filesystem: { rootdirectory: '/var/lib/registry' } },
      auth: { token: { realm: 'http://172.18.0.1:5001/token', service: 'svc', issuer: 'iss', rootcertbundle: '/etc/distribution/token-root.pem', signingalgorithms: ['ES256', 'RS256'] } },
    });
  });

  it('has no auth section for an open registry', () => {
    expect(parse(distributionConfig(undefined))).not.toHaveProperty('auth');
  });
});

describe('offline image recipe', () => {
  it('takes every absolute library path from ldd output', () => {
    const ldd = '\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f2)\n';
    expect(librariesFromLdd(ldd)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
});
