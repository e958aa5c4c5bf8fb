import { describe, expect, it } from 'vitest';
import { parseBasicAuthorization } from '../../../registry/token-service/server.ts';

const encode = (text: string): string => Buffer.from(text).toString('base64');

describe('Basic Authorization parsing (RFC 7617, strict base64 as Go StdEncoding)', () => {
  it.each([
    ['no padding', 'ab:cdef', 'ab', 'cdef'],
    ['one padding character', 'ab:cdefgh', 'ab', 'cdefgh'],
    ['two padding characters', 'ab:cde', 'ab', 'cde'],
    ['a password with colons', 'user:pa:ss', 'user', 'pa:ss'],
  ])('decodes credentials with %s', (_what, raw, username, password) => {
    expect(parseBasicAuthorization(`Basic ${encode(raw)}`)).toEqual({ username, password });
  });

  it('is case-insensitive about the scheme and tolerates extra spaces, as the header grammar does', () => {
    expect(parseBasicAuthorization(`basic   ${encode('a:b')}  `)).toEqual({ username: 'a', password: 'b' });
  });

  it('keeps a leading byte-order mark in the username, as Go\'s string(bytes) does (net/http parseBasicAuth)', () => {
    expect(parseBasicAuthorization(`Basic ${encode('\uFEFFuser:pw')}`)).toEqual({ username: '\uFEFFuser', password: 'pw' });
  });

  it('says "no header" with undefined', () => {
    expect(parseBasicAuthorization(undefined)).toBeUndefined();
  });

  it.each([
    ['a length that is not a multiple of 4 (padding dropped)', encode('ab:cdef').replace(/=+$/, '')],
    ['padding in the middle', `${encode('ab:cdef')}${encode('x:y')}`],
    ['three padding characters', `${encode('ab:cd').replace(/=+$/, '')}===`],
    ['a URL-safe alphabet character', encode('a?:>>>').replace(/\+/g, '-').replace(/\//g, '_')],
    ['characters outside the alphabet', '%%%not*base64'],
  ])('refuses %s as not valid base64', (_what, encoded) => {
    expect(() => parseBasicAuthorization(`Basic ${encoded}`)).toThrow('Authorization Basic credentials are not valid base64');
  });

  it('refuses credentials without a colon, and ones that are not UTF-8, each for its own reason', () => {
    expect(() => parseBasicAuthorization(`Basic ${encode('nocolon')}`)).toThrow('have no ":" between username and password');
    expect(() => parseBasicAuthorization(`Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0xff]).toString('base64')}`)).toThrow('are not UTF-8');
  });

  it('refuses another scheme and an over-long header before decoding anything', () => {
    expect(() => parseBasicAuthorization('Bearer abc')).toThrow('Authorization must be "Basic <base64(username:password)>"');
    expect(() => parseBasicAuthorization(`Basic ${'A'.repeat(8 * 1024)}`)).toThrow('Authorization header longer than 8192 bytes');
  });
});
