import { describe, expect, it } from 'vitest';
import { BasicDockerKeyring, isDefaultRegistryMatch, isImageAllowed, parseSchemelessURL, urlsMatchStr } from '../../../harness/conformance/match-images.ts';
import { BadPatternError, goFilepathMatch } from '../../../harness/conformance/go/filepath-match.ts';
import { parseGoURL } from '../../../harness/conformance/go/url.ts';

// Vectors from k/k pkg/credentialprovider/keyring_test.go (reference §3.3).
describe('matchImages (keyring.go URLsMatch)', () => {
  const vectors: [glob: string, target: string, match: boolean][] = [
    ['*.kubernetes.io', 'prefix.kubernetes.io', true],
    ['prefix.*.io', 'prefix.kubernetes.io', true],
    ['prefix.kubernetes.*', 'prefix.kubernetes.io', true],
    ['*-good.kubernetes.io', 'prefix-good.kubernetes.io', true],
    ['*.kubernetes.io/blah', 'prefix.kubernetes.io/blah', true],
    ['prefix.*.io/foo', 'prefix.kubernetes.io/foo/bar', true],
    ['*.kubernetes.io:1111/blah', 'prefix.kubernetes.io:1111/blah', true],
    ['prefix.*.io:1111/foo', 'prefix.kubernetes.io:1111/foo/bar', true],
    ['*.kubernetes.io', 'kubernetes.io', false],
    ['*.*.kubernetes.io', 'prefix.kubernetes.io', false],
    ['kubernetes.io', 'kubernetes.com', false],
    ['k*.io', 'quay.io', false],
    ['*.kubernetes.io:1234/blah', 'prefix.kubernetes.io:1111/blah', false],
    ['prefix.*.io/foo', 'prefix.kubernetes.io:1111/foo/bar', false],
  ];
  it.each(vectors)('TestUrlsMatch: %s vs %s → %s', (glob, target, match) => {
    expect(urlsMatchStr(glob, target)).toBe(match);
  });

  it('requires equal ports both ways: a pattern with a port does not match an image without one', () => {
    expect(urlsMatchStr('registry.io:8080/path', 'registry.io/path/app')).toBe(false);
    expect(urlsMatchStr('registry.io:8080/path', 'registry.io:8080/path/app')).toBe(true);
  });

  it('matches paths as plain string prefixes, not path segments', () => {
    expect(urlsMatchStr('registry.io/team', 'registry.io/teams/app')).toBe(true);
  });

  it('lets one glob match exactly one label (*.io does not match a.b.io)', () => {
    expect(urlsMatchStr('*.io', 'a.b.io')).toBe(false);
    expect(urlsMatchStr('app*.k8s.io', 'app1.k8s.io')).toBe(true);
  });

  it('needs as many labels in the host as the glob has, even where every glob label matches (gcr.io is not gcr.io.evil.example)', () => {
    expect(urlsMatchStr('gcr.io', 'gcr.io.evil.example/app')).toBe(false);
    expect(urlsMatchStr('gcr.io.*', 'gcr.io/app')).toBe(false);
  });

  it('a `[` inside a host: Go >= 1.24.8 url.Parse rejects it ("invalid IP-literal"); older Go reached filepath.Match (ErrBadPattern); either way no match', () => {
    expect(() => urlsMatchStr('a[.io', 'ab.io')).toThrow('parse "https://a[.io": invalid IP-literal');
    expect(() => parseGoURL('https://a[.io', { strictIPLiteral: false })).not.toThrow();
    expect(() => goFilepathMatch('a[', 'ab')).toThrow(BadPatternError);
    expect(isImageAllowed(['a[.io'], 'ab.io')).toBe(false);
    expect(isImageAllowed(['nope.io', '*.io'], 'a.io')).toBe(true);
  });

  it('renders ParseSchemelessURL errors as Go url.Parse does', () => {
    expect(() => parseSchemelessURL('%invalid%')).toThrow('parse "https://%invalid%": invalid URL escape "%in"');
    expect(() => parseSchemelessURL('host:port/x')).toThrow('parse "https://host:port/x": invalid port ":port" after host');
    expect(() => parseSchemelessURL('bad host')).toThrow('parse "https://bad host": invalid character " " in host name');
    expect(parseSchemelessURL('registry.io:5000/a/b')).toEqual({ host: 'registry.io:5000', path: '/a/b' });
  });
});

describe('BasicDockerKeyring (keyring_test.go TestDockerKeyringLookup)', () => {
  const ada = { username: 'ada', password: 'smash' };
  const grace = { username: 'grace', password: 'squash' };
  const keyring = new BasicDockerKeyring();
  keyring.add([
    ['bar.example.com/pong', grace],
    ['bar.example.com', ada],
  ]);
  const cases: [image: string, expected: string[]][] = [
    ['bar.example.com', ['ada']],
    ['bar.example.com/pong', ['grace', 'ada']],
    ['bar.example.com/ping', ['ada']],
    ['bar.example.com/pongz', ['grace', 'ada']],
    ['bar.example.com/pong/pang', ['grace', 'ada']],
    ['example.com', []],
    ['foo.example.com', []],
  ];
  it.each(cases)('lookup %s → %j', (image, expected) => {
    expect(keyring.lookup(image).map((m) => m.value.username)).toEqual(expected);
  });

  it('keeps the index de-duplicated and reverse-sorted, folding https:// and /v2/ to the host', () => {
    const k = new BasicDockerKeyring();
    k.add([
      ['https://quay.io/v2/', ada],
      ['quay.io/coreos', grace],
      ['quay.io', ada],
    ]);
    expect(k.index).toEqual(['quay.io/coreos', 'quay.io']);
    expect(k.lookup('quay.io/coreos/etcd').map((m) => m.value.username)).toEqual(['grace', 'ada', 'ada']);
  });

  it('TestKeyringMiss: globbed keys that must not match', () => {
    for (const key of ['https://*.docker.com', 'https://suffix.*.io', 'https://prefix.docker.c*']) {
      const k = new BasicDockerKeyring();
      k.add([[key, ada]]);
      expect(k.lookup('prefix.docker.io')).toEqual([]);
    }
  });

  it('falls back to index.docker.io credentials only for Docker Hub images', () => {
    const k = new BasicDockerKeyring();
    k.add([['index.docker.io', ada]]);
    expect(k.lookup('library/busybox').map((m) => m.key)).toEqual(['index.docker.io']);
    expect(k.lookup('registry.tld/foo/bar')).toEqual([]);
  });
});

describe('isDefaultRegistryMatch (TestIsDefaultRegistryMatch)', () => {
  it.each([
    ['foo/bar', true],
    ['docker.io/foo/bar', true],
    ['index.docker.io/foo/bar', true],
    ['foo', true],
    ['', false],
    ['registry.tld/foo/bar', false],
    ['registry:5000/foo/bar', false],
    ['myhostdocker.io/foo/bar', false],
  ] as const)('%s → %s', (image, expected) => {
    expect(isDefaultRegistryMatch(image)).toBe(expected);
  });
});

describe('URLsMatch host:port splitting (net.SplitHostPort in keyring.go SplitURL)', () => {
  it('requires equal ports: a glob that matches every label still misses an image with a port', () => {
    expect(urlsMatchStr('*.*', 'gcr.io:5000/app')).toBe(false);
    expect(urlsMatchStr('*', ':5000/app')).toBe(false);
  });

  it('treats an empty port after ":" as no port', () => {
    expect(urlsMatchStr('gcr.io', 'gcr.io:/app')).toBe(true);
  });

  it('splits a bracketed IPv6 host from its port and matches the address inside the brackets', () => {
    expect(urlsMatchStr('[::1]:5000', '[::1]:5000/app')).toBe(true);
    expect(urlsMatchStr('[::1]:5000', '[::1]:5001/app')).toBe(false);
    expect(urlsMatchStr('*:5000', '[::1]:5000/app')).toBe(true);
    expect(urlsMatchStr('[::*]:5000', '[::1]:5000/app', { strictIPLiteral: false })).toBe(true);
  });

  it('keeps a bracketed host without a port whole, so its brackets are read as a filepath.Match class', () => {
    expect(urlsMatchStr('[::1]', '[::1]/app')).toBe(false);
    expect(urlsMatchStr('*', '[::1]:/app')).toBe(true);
    expect(urlsMatchStr('*', '[::1]/app')).toBe(true);
  });

  it('keeps a host with too many colons whole, with no port', () => {
    expect(urlsMatchStr('*', 'a:b:5000/app')).toBe(true);
    expect(urlsMatchStr('a:b:5000', 'a:b:5000/app')).toBe(true);
  });

  it("requires the glob's path to be a string prefix of the image's path", () => {
    expect(urlsMatchStr('gcr.io/foo', 'gcr.io/bar')).toBe(false);
    expect(urlsMatchStr('gcr.io/foo', 'gcr.io/foobar')).toBe(true);
  });
});

describe('isDefaultRegistryMatch edge cases', () => {
  it('takes any image without a slash as Docker Hub, even a one-letter or tagged one', () => {
    expect(isDefaultRegistryMatch('a')).toBe(true);
    expect(isDefaultRegistryMatch('ubuntu:latest')).toBe(true);
  });

  it('refuses an image whose first component is empty', () => {
    expect(isDefaultRegistryMatch('/foo')).toBe(false);
  });
});

describe('BasicDockerKeyring index keys', () => {
  it('adds https:// only to schemeless locations, folds /v1/ and /v2/ to the host and reverse-sorts', () => {
    const keyring = new BasicDockerKeyring<string>();
    keyring.add([
      ['gcr.io/foo', 'a'],
      ['http://quay.io/x', 'b'],
      ['https://a.io', 'c'],
      ['https://reg.io/v2/foo', 'd'],
      ['reg2.io/v1/bar', 'e'],
      ['https://reg3.io/v2/', 'f'],
    ]);
    expect(keyring.index).toEqual(['reg3.io', 'reg2.io/bar', 'reg.io/foo', 'quay.io/x', 'gcr.io/foo', 'a.io']);
  });
});
