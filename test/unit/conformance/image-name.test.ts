import { describe, expect, it } from 'vitest';
import { familiarString, imageRepository, parseDockerRef, parseImageName, parseNormalizedNamed, parseReference, REFERENCE_ERRORS } from '../../../harness/conformance/image-name.ts';

// Rows ported from distribution/reference normalize_test.go and reference_test.go.

describe('parseNormalizedNamed (normalize_test.go TestValidateReferenceName)', () => {
  const valid = [
    'docker/docker', 'library/debian', 'debian', 'docker.io/docker/docker', 'docker.io/library/debian', 'docker.io/debian',
    'index.docker.io/docker/docker', 'index.docker.io/library/debian', 'index.docker.io/debian', '127.0.0.1:5000/docker/docker',
    '127.0.0.1:5000/library/debian', '127.0.0.1:5000/debian', '192.168.0.1', '192.168.0.1:80', '192.168.0.1:8/debian',
    '192.168.0.2:25000/debian', 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', '[fc00::1]:5000/docker',
    '[fc00::1]:5000/docker/docker', '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'Docker/docker', 'DOCKER/docker',
  ];
  const invalid = [
    'https://github.com/docker/docker', 'docker/Docker', '-docker', '-docker/docker', '-docker.io/docker/docker', 'docker///docker',
    'docker.io/docker/Docker', 'docker.io/docker///docker', '[fc00::1]', '[fc00::1]:5000', 'fc00::1:5000/debian', '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian', '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  ];
  it.each(valid)('accepts %s', (name) => expect(() => parseNormalizedNamed(name)).not.toThrow());
  it.each(invalid)('rejects %s', (name) => expect(() => parseNormalizedNamed(name)).toThrow());
});

describe('remote names (normalize_test.go TestValidateRemoteName)', () => {
  it.each(['docker/docker', 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', 'docker-rules/docker', 'docker---rules/docker', 'doc/docker', 'd/docker', 'jess/t', 'dock__er/docker'])('accepts %s', (n) => {
    expect(() => parseNormalizedNamed(n)).not.toThrow();
  });
  it.each(['docker/Docker', 'docker///docker', '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', '-docker/docker', 'docker-/docker', '-docker-/docker', '____/____', '_docker/_docker', 'dock..er/docker', 'dock_.er/docker', 'dock-.er/docker', 'docker/', `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}/docker`])('rejects %s', (n) => {
    expect(() => parseNormalizedNamed(n)).toThrow();
  });
});

describe('full names (normalize_test.go TestParseRepositoryInfo)', () => {
  const rows: [familiar: string, full: string, ambiguous: string, domain: string, remote: string][] = [
    ['fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar', 'docker.io', 'fooo/bar'],
    ['ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu', 'docker.io', 'library/ubuntu'],
    ['nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', '', 'docker.io', 'nonlibrary/ubuntu'],
    ['other/library', 'docker.io/other/library', '', 'docker.io', 'other/library'],
    ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '', '127.0.0.1:8000', 'private/moonbase'],
    ['127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase', '', '127.0.0.1:8000', 'privatebase'],
    ['example.com/private/moonbase', 'example.com/private/moonbase', '', 'example.com', 'private/moonbase'],
    ['example.com:8000/privatebasee', 'example.com:8000/privatebasee', '', 'example.com:8000', 'privatebasee'],
    ['ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base', 'docker.io', 'library/ubuntu-12.04-base'],
    ['foo', 'docker.io/library/foo', 'docker.io/foo', 'docker.io', 'library/foo'],
    ['library/foo/bar', 'docker.io/library/foo/bar', '', 'docker.io', 'library/foo/bar'],
    ['store/foo/bar', 'docker.io/store/foo/bar', '', 'docker.io', 'store/foo/bar'],
    ['Foo/bar', 'Foo/bar', '', 'Foo', 'bar'],
    ['FOO/bar', 'FOO/bar', '', 'FOO', 'bar'],
  ];
  for (const [familiar, full, ambiguous, domain, remote] of rows) {
    for (const input of [familiar, full, ambiguous].filter(Boolean)) {
      it(`${input} → ${full}`, () => {
        const ref = parseNormalizedNamed(input);
        expect(ref.string).toBe(full);
        expect(ref.domain).toBe(domain);
        expect(ref.path).toBe(remote);
        expect(familiarString(ref)).toBe(familiar);
      });
    }
  }
});

describe('tag and digest (normalize_test.go TestParseReferenceWithTagAndDigest, TestParseAnyReference)', () => {
  it('keeps both tag and digest', () => {
    const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
    const ref = parseNormalizedNamed(short);
    expect(ref.string).toBe(`docker.io/library/${short}`);
    expect(familiarString(ref)).toBe(short);
  });
  it.each([
    ['redis', 'docker.io/library/redis'],
    ['redis:latest', 'docker.io/library/redis:latest'],
    ['docker.io/library/redis:latest', 'docker.io/library/redis:latest'],
    ['redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c', 'docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c'],
    ['dmcgowan/myapp', 'docker.io/dmcgowan/myapp'],
    ['dmcgowan/myapp:latest', 'docker.io/dmcgowan/myapp:latest'],
    ['docker.io/mcgowan/myapp:latest', 'docker.io/mcgowan/myapp:latest'],
    ['dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9', 'docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9'],
    ['dbcc1', 'docker.io/library/dbcc1'],
  ])('%s → %s', (input, equivalent) => expect(parseNormalizedNamed(input).string).toBe(equivalent));
});

describe('domain and path (normalize_test.go TestNormalizedSplitHostname)', () => {
  it.each([
    ['test.com/foo', 'test.com', 'foo'], ['test_com/foo', 'docker.io', 'test_com/foo'], ['docker/migrator', 'docker.io', 'docker/migrator'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'], ['test-com:8080/foo', 'test-com:8080', 'foo'], ['foo', 'docker.io', 'library/foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com', 'foo'], ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'], ['docker.io/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo', 'docker.io', 'library/foo'], ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar'],
  ])('%s → %s + %s', (input, domain, path) => {
    const ref = parseNormalizedNamed(input);
    expect([ref.domain, ref.path]).toEqual([domain, path]);
  });
});

describe('parseReference (reference_test.go TestReferenceParse)', () => {
  const ff = 'f'.repeat(64);
  const rows: { input: string; err?: string; repository?: string; domain?: string; tag?: string; digest?: string }[] = [
    { input: 'test_com', repository: 'test_com' },
    { input: 'test.com:tag', repository: 'test.com', tag: 'tag' },
    { input: 'test.com:5000', repository: 'test.com', tag: '5000' },
    { input: 'test.com/repo:tag', domain: 'test.com', repository: 'test.com/repo', tag: 'tag' },
    { input: 'test:5000/repo', domain: 'test:5000', repository: 'test:5000/repo' },
    { input: 'test:5000/repo:tag', domain: 'test:5000', repository: 'test:5000/repo', tag: 'tag' },
    { input: `test:5000/repo@sha256:${ff}`, domain: 'test:5000', repository: 'test:5000/repo', digest: `sha256:${ff}` },
    { input: `test:5000/repo:tag@sha256:${ff}`, domain: 'test:5000', repository: 'test:5000/repo', tag: 'tag', digest: `sha256:${ff}` },
    { input: '', err: REFERENCE_ERRORS.nameEmpty },
    { input: ':justtag', err: REFERENCE_ERRORS.referenceInvalidFormat },
    { input: `@sha256:${ff}`, err: REFERENCE_ERRORS.referenceInvalidFormat },
    { input: `repo@sha256:${'f'.repeat(34)}`, err: REFERENCE_ERRORS.digestInvalidLength },
    { input: `validname@invaliddigest:${ff}`, err: REFERENCE_ERRORS.digestUnsupported },
    { input: 'Uppercase:tag', err: REFERENCE_ERRORS.nameContainsUppercase },
    { input: 'test:5000/Uppercase/lowercase:tag', err: REFERENCE_ERRORS.nameContainsUppercase },
    { input: 'lowercase:Uppercase', repository: 'lowercase', tag: 'Uppercase' },
    { input: `${'a/'.repeat(128)}a:tag`, err: REFERENCE_ERRORS.nameTooLong },
    { input: `${'a/'.repeat(127)}a:tag-puts-this-over-max`, domain: 'a', repository: `${'a/'.repeat(127)}a`, tag: 'tag-puts-this-over-max' },
    { input: 'aa/asdf$$^/aa', err: REFERENCE_ERRORS.referenceInvalidFormat },
    { input: 'sub-dom1.foo.com/bar/baz/quux', domain: 'sub-dom1.foo.com', repository: 'sub-dom1.foo.com/bar/baz/quux' },
    { input: 'b.gcr.io/test.example.com/my-app:test.example.com', domain: 'b.gcr.io', repository: 'b.gcr.io/test.example.com/my-app', tag: 'test.example.com' },
    { input: `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${'f'.repeat(128)}`, domain: 'xn--7o8h.com', repository: 'xn--7o8h.com/myimage', tag: 'xn--7o8h.com', digest: `sha512:${'f'.repeat(128)}` },
    { input: 'foo_bar.com:8080', repository: 'foo_bar.com', tag: '8080' },
    { input: 'foo/foo_bar.com:8080', domain: 'foo', repository: 'foo/foo_bar.com', tag: '8080' },
    { input: '192.168.1.1:5000/repo:5050', domain: '192.168.1.1:5000', repository: '192.168.1.1:5000/repo', tag: '5050' },
    { input: '[2001:db8::1]', err: REFERENCE_ERRORS.referenceInvalidFormat },
    { input: '[2001:db8::1]:5000', err: REFERENCE_ERRORS.referenceInvalidFormat },
    { input: '[2001:db8::1]:5000/repo:tag', domain: '[2001:db8::1]:5000', repository: '[2001:db8::1]:5000/repo', tag: 'tag' },
    { input: '[::1]:5000/repo', domain: '[::1]:5000', repository: '[::1]:5000/repo' },
    { input: '[fe80::1%eth0]:5000/repo', err: REFERENCE_ERRORS.referenceInvalidFormat },
  ];
  for (const row of rows) {
    it(`${row.input.slice(0, 60) || '(empty)'}`, () => {
      if (row.err) {
        expect(() => parseReference(row.input)).toThrow(row.err);
        return;
      }
      const ref = parseReference(row.input);
      expect(ref.string).toBe(row.input);
      expect(ref.name).toBe(row.repository);
      expect(ref.domain).toBe(row.domain ?? '');
      expect(ref.tag).toBe(row.tag);
      expect(ref.digest).toBe(row.digest);
    });
  }
});

describe('what kubelet and containerd derive from a pod image', () => {
  it('looks credentials up for the tagless repository', () => {
    expect(imageRepository('busybox:1.36')).toBe('docker.io/library/busybox');
    expect(imageRepository('pullproof-registry:5000/team/app:v1@sha256:' + 'a'.repeat(64))).toBe('pullproof-registry:5000/team/app');
  });
  it('defaults the tag to latest only when neither tag nor digest is given (parsers.go ParseImageName)', () => {
    expect(parseImageName('busybox')).toEqual({ repository: 'docker.io/library/busybox', tag: 'latest', digest: '' });
    expect(parseImageName('busybox@sha256:' + 'a'.repeat(64)).tag).toBe('');
    expect(() => parseImageName('Busybox')).toThrow('couldn\'t parse image name "Busybox": invalid reference format: repository name (library/Busybox) must be lowercase');
  });
  it('pulls the ParseDockerRef form (containerd CRI PullImage)', () => {
    expect(parseDockerRef('busybox')).toBe('docker.io/library/busybox:latest');
    expect(parseDockerRef('reg:5000/x:1')).toBe('reg:5000/x:1');
    expect(parseDockerRef(`busybox:latest@sha256:${'a'.repeat(64)}`)).toBe(`docker.io/library/busybox@sha256:${'a'.repeat(64)}`);
  });
});
