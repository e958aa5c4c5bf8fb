import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from '../../../harness/conformance/go/duration.ts';
import { goJsonString, goQuote, goToLower } from '../../../harness/conformance/go/quote.ts';
import { parseGoURL } from '../../../harness/conformance/go/url.ts';
import { imageRepository } from '../../../harness/conformance/image-name.ts';
import { BasicDockerKeyring, isImageAllowed, parseSchemelessURL, urlsMatchStr } from '../../../harness/conformance/match-images.ts';
import { KubeletCredentialCache, ProviderCredentialCache } from '../../../harness/conformance/credential-cache.ts';
import { cacheKey } from '../../../harness/conformance/cache-key.ts';
import { decodeResponse, duplicateJsonKeys, ResponseRejectedError } from '../../../harness/conformance/protocol.ts';

// Issue 11: the places where the runner disagreed with kubelet, each checked against the upstream
// source named in the test (or its own test table where one exists).

describe('image names: kubelet looks credentials up for ParseImageName(image).repository', () => {
  // k/k pkg/util/parsers/parsers.go ParseImageName → distribution/reference ParseNormalizedNamed(...).Name().
  it.each([
    ['nginx:1.25', 'docker.io/library/nginx'],
    ['r.io/team/app:v1', 'r.io/team/app'],
    ['r.io/team/app@sha256:' + 'a'.repeat(64), 'r.io/team/app'],
    ['index.docker.io/foo/bar:latest', 'docker.io/foo/bar'],
    ['localhost:5000/app:v1', 'localhost:5000/app'],
  ])('%s → %s, and normalising that again changes nothing', (image, repository) => {
    expect(imageRepository(image)).toBe(repository);
    expect(imageRepository(repository)).toBe(repository);
  });
  it('matchImages ["docker.io"] matches nginx:1.25 once normalised (kubelet invokes the plugin)', () => {
    expect(isImageAllowed(['docker.io'], 'nginx:1.25')).toBe(false);
    expect(isImageAllowed(['docker.io'], imageRepository('nginx:1.25'))).toBe(true);
  });
});

describe('Go time.ParseDuration (golang/go src/time/format.go)', () => {
  it('overflow past 1<<63-1 ns is "time: invalid duration"', () => {
    expect(() => parseGoDuration('3000000h')).toThrow('time: invalid duration "3000000h"');
    expect(parseGoDuration('2562047h')).toBe(2562047 * 3600e9);
  });
  it('fractions are truncated, not rounded: 0.5ns is 0 (not cached)', () => {
    expect(parseGoDuration('0.5ns')).toBe(0);
    expect(parseGoDuration('1.9ns')).toBe(1);
    expect(parseGoDuration('1.5s')).toBe(1.5e9);
  });
  it.each([['.s'], ['-.s'], ['+'], ['1.2.3s'], ['s']])('rejects %s', (text) => {
    expect(() => parseGoDuration(text)).toThrow(/^time: /);
  });
  it('negative durations parse (kubelet then stores the entry already expired)', () => {
    expect(parseGoDuration('-1m')).toBe(-60e9);
    expect(formatGoDuration(-60e9)).toBe('-1m0s');
  });
});

describe('net/url: decoded host and path, error order, IP-literal rule', () => {
  it('compares the decoded path: registry.io/%66oo matches registry.io/foo/app (keyring.go URLsMatch on url.URL.Path)', () => {
    expect(parseSchemelessURL('registry.io/%66oo').path).toBe('/foo');
    expect(urlsMatchStr('registry.io/%66oo', 'registry.io/foo/app')).toBe(true);
  });
  it('keyring keys are stored decoded (BasicDockerKeyring.Add uses parsed.Host + parsed.Path)', () => {
    const keyring = new BasicDockerKeyring<string>();
    keyring.add([['registry.io/%66oo', 'x']]);
    expect(keyring.index).toEqual(['registry.io/foo']);
    expect(keyring.lookup('registry.io/foo/app').map((m) => m.value)).toEqual(['x']);
  });
  it('a %-escape of an ASCII byte in a host is an error (unescape encodeHost)', () => {
    expect(() => parseSchemelessURL('%66oo.io')).toThrow('parse "https://%66oo.io": invalid URL escape "%66"');
  });
  it('strips #fragment from the URL named in the error (url.Parse cuts it before parse())', () => {
    expect(() => parseSchemelessURL('%zz#frag')).toThrow('parse "https://%zz": invalid URL escape "%zz"');
  });
  it('reports a host error before a userinfo error (parseAuthority)', () => {
    expect(() => parseSchemelessURL('us"er@bad host')).toThrow('invalid character " " in host name');
  });
  it('Go >= 1.24.8 rejects "[" anywhere but the start of a host; older Go accepted it', () => {
    expect(() => parseSchemelessURL('registry-[0-9].example.com')).toThrow('parse "https://registry-[0-9].example.com": invalid IP-literal');
    expect(parseGoURL('https://registry-[0-9].example.com', { strictIPLiteral: false }).host).toBe('registry-[0-9].example.com');
  });
});

describe('Go quoting and lower-casing', () => {
  it.each([
    ['a\vb', '"a\\vb"'],
    ['a\x07b', '"a\\ab"'],
    ['a\u00a0b', '"a\\u00a0b"'],
    ['a\x01b', '"a\\x01b"'],
    ['é', '"é"'],
  ])('strconv.Quote(%j) = %s', (input, quoted) => {
    expect(goQuote(input)).toBe(quoted);
  });
  it('encoding/json escapes <, >, & (how a typed cacheType value is rendered)', () => {
    expect(goJsonString('a<b')).toBe('"a\\u003cb"');
  });
  it('strings.ToLower("İ") is "i" (unicode.ToLower never expands a rune)', () => {
    expect(goToLower('İ')).toBe('i');
    expect('İ'.toLowerCase()).not.toBe('i');
  });
});

describe("kubelet's credential cache (plugin.go getCachedCredentials / provide)", () => {
  const auth = [['r.io', { username: 'u', password: 'p' }]] as const;
  const origin = { pull: 0, image: 'r.io/a', namespace: 'ns', serviceAccount: 'sa', podName: 'p' };
  const entry = (base: string, expiresAt: number) => ({ keyHex: cacheKey(base, undefined).toString('hex'), baseKey: base, cacheKeyType: 'Registry', expiresAt, auth, origin });

  it('looks up image, then registry, then global; a Registry entry serves another image of that registry', () => {
    const cache = new ProviderCredentialCache();
    cache.add(entry('r.io', 60_000));
    const hit = cache.lookup('r.io/b', undefined, '<global>', 1000);
    expect(hit.entry?.baseKey).toBe('r.io');
    expect(hit.tried.map((t) => t.result)).toEqual(['miss', 'hit']);
  });
  it('a Global entry serves every image of the provider', () => {
    const cache = new ProviderCredentialCache();
    cache.add(entry('<global>', 60_000));
    expect(cache.lookup('other.io/x', undefined, '<global>', 0).entry?.baseKey).toBe('<global>');
  });
  it('an expired entry is a miss and is dropped (ExpirationStore: now.After(expiresAt))', () => {
    const cache = new ProviderCredentialCache();
    cache.add(entry('r.io/a', 60_000));
    expect(cache.lookup('r.io/a', undefined, '<global>', 60_000).entry).toBeDefined();
    expect(cache.lookup('r.io/a', undefined, '<global>', 60_001).tried[0]?.result).toBe('expired');
    expect(cache.size).toBe(0);
  });
  it('a negative duration is stored already expired and never served', () => {
    const cache = new ProviderCredentialCache();
    cache.add(entry('r.io/a', -60_000));
    expect(cache.lookup('r.io/a', undefined, '<global>', 0).entry).toBeUndefined();
  });
  it('the 15-minute purge drops every expired entry, not only the ones looked up', () => {
    const cache = new ProviderCredentialCache();
    cache.add(entry('x.io/a', 1000));
    cache.add(entry('y.io/a', 1000));
    expect(cache.lookup('z.io/a', undefined, '<global>', 14 * 60_000).purged).toBe(0);
    expect(cache.size).toBe(2);
    expect(cache.lookup('z.io/a', undefined, '<global>', 15 * 60_000 + 1).purged).toBe(2);
  });
  it('keeps one cache per provider', () => {
    const caches = new KubeletCredentialCache();
    caches.forProvider('a').add(entry('r.io', 60_000));
    expect(caches.forProvider('b').lookup('r.io/x', undefined, '<global>', 0).entry).toBeUndefined();
  });
});

describe('strict response decoding: duplicate keys (plugin.go decodeResponse → strict codec)', () => {
  const head = '"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse"';
  it.each([
    [`{${head},"cacheKeyType":"Bogus","cacheKeyType":"Image"}`, 'duplicate field "cacheKeyType"'],
    [`{${head},"cacheKeyType":"Image","auth":{"r.io":{"username":"a","password":"b"},"r.io":{"username":"c","password":"d"}}}`, 'duplicate field "auth[r.io]"'],
    [`{${head},"cacheKeyType":"Image","auth":{"r.io":{"username":"a","username":"c"}}}`, 'duplicate field "auth[r.io].username"'],
  ])('%s is rejected: credentials dropped', (stdout, detail) => {
    let error: unknown;
    try {
      decodeResponse(stdout, 'credentialprovider.kubelet.k8s.io/v1');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ResponseRejectedError);
    expect((error as ResponseRejectedError).kubeletMessage).toBe('error decoding credential provider plugin response from stdout');
    expect((error as ResponseRejectedError).detail).toContain(detail);
  });
  it('the same key in different objects is fine', () => {
    expect(duplicateJsonKeys('{"a":{"x":1},"b":{"x":2}}')).toEqual([]);
  });
});

describe('annotation keys are lower-cased with Go strings.ToLower before IsQualifiedName (config.go validateServiceAccountAnnotationKeys)', () => {
  it('accepts İ as kubelet does', async () => {
    const { validateCredentialProviderConfig } = await import('../../../harness/conformance/validate.ts');
    const provider = { name: 'p', matchImages: ['r.io'], defaultCacheDuration: 60e9, apiVersion: 'credentialprovider.kubelet.k8s.io/v1', args: [], env: [], tokenAttributes: { serviceAccountTokenAudience: 'a', cacheType: 'Token', requireServiceAccount: true, requiredServiceAccountAnnotationKeys: ['example.com/İ'], optionalServiceAccountAnnotationKeys: [] } };
    expect(validateCredentialProviderConfig({ providers: [provider] }, { saTokenForCredentialProviders: true, cacheTypeField: true })).toEqual([]);
  });
});
