import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { baseCacheKey, cacheKey, parseRegistry, serviceAccountCacheKey, tokenHash } from '../../../harness/conformance/cache-key.ts';

// cryptobyte's AddUint16LengthPrefixed: two big-endian length bytes, then the bytes.
const prefixed = (s: string): Buffer => {
  const bytes = Buffer.from(s, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
};
const sha256 = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const saParams = { namespace: 'ns', serviceAccountName: 'sa', serviceAccountUid: 'uid-1', annotations: { 'b.io/k': 'v2', 'a.io/k': 'v1' }, serviceAccountToken: 'tok' };

describe('kubelet credential cache keys (plugin.go generateCacheKey)', () => {
  it('hashes a token as sha256:<hex> and an empty token as ""', () => {
    expect(tokenHash('tok')).toBe(sha256('tok'));
    expect(tokenHash('')).toBe('');
  });

  it('keys a service account by namespace, name, UID and sorted annotations, without the token for cacheType ServiceAccount', () => {
    const count = Buffer.from([0, 0, 0, 2]);
    const expected = Buffer.concat([prefixed('ns'), prefixed('sa'), prefixed('uid-1'), count, prefixed('a.io/k'), prefixed('v1'), prefixed('b.io/k'), prefixed('v2')]);
    expect(serviceAccountCacheKey({ ...saParams, cacheType: 'ServiceAccount' }).toString('hex')).toBe(expected.toString('hex'));
    expect(serviceAccountCacheKey({ ...saParams, cacheType: '' }).toString('hex')).toBe(expected.toString('hex'));
  });

  it('adds "token" and the token hash to the service-account key for cacheType Token', () => {
    const count = Buffer.from([0, 0, 0, 0]);
    const expected = Buffer.concat([prefixed('ns'), prefixed('sa'), prefixed('uid-1'), count, prefixed('token'), prefixed(sha256('tok'))]);
    expect(serviceAccountCacheKey({ ...saParams, annotations: {}, cacheType: 'Token' }).toString('hex')).toBe(expected.toString('hex'));
  });

  it('length-prefixes the base key and the service-account key', () => {
    const sa = Buffer.from('abc');
    expect(cacheKey('gcr.io', sa).toString('hex')).toBe(Buffer.concat([prefixed('gcr.io'), Buffer.from([0, 3]), sa]).toString('hex'));
    expect(cacheKey('gcr.io', undefined).toString('hex')).toBe(Buffer.concat([prefixed('gcr.io'), Buffer.from([0, 0])]).toString('hex'));
  });

  it('takes components of up to 65535 bytes and refuses longer ones, like cryptobyte', () => {
    const max = 'a'.repeat(0xffff);
    expect(cacheKey(max, undefined).length).toBe(2 + 0xffff + 2);
    expect(() => cacheKey(`${max}a`, undefined)).toThrow(new Error("cache key component is 65536 bytes, over cryptobyte's uint16 length prefix"));
    expect(cacheKey('', Buffer.alloc(0xffff)).subarray(2, 4).toString('hex')).toBe('ffff');
    expect(() => cacheKey('', Buffer.alloc(0x10000))).toThrow(new Error('service-account cache key over 65535 bytes'));
  });

  it('derives the base key from the cacheKeyType: image, registry host[:port] or the global key', () => {
    expect(parseRegistry('registry.io:5000/team/app:v1')).toBe('registry.io:5000');
    expect(parseRegistry('')).toBe('');
    expect(baseCacheKey('Image', 'gcr.io/p/app:v1', 'global')).toBe('gcr.io/p/app:v1');
    expect(baseCacheKey('Registry', 'gcr.io/p/app:v1', 'global')).toBe('gcr.io');
    expect(baseCacheKey('Global', 'gcr.io/p/app:v1', 'global')).toBe('global');
    expect(baseCacheKey('', 'gcr.io/p/app:v1', 'global')).toBeUndefined();
    expect(baseCacheKey('image', 'gcr.io/p/app:v1', 'global')).toBeUndefined();
  });
});
