import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from '../../../harness/conformance/go/duration.ts';
import { goFilepathMatch, BadPatternError } from '../../../harness/conformance/go/filepath-match.ts';

describe('Go time.Duration parse/format', () => {
  it.each([
    ['10m', 600e9, '10m0s'],
    ['-1m', -60e9, '-1m0s'],
    ['1h', 3600e9, '1h0m0s'],
    ['1.5s', 1.5e9, '1.5s'],
    ['500ms', 5e8, '500ms'],
    ['1h2m3s', 3723e9, '1h2m3s'],
    ['0', 0, '0s'],
    ['2us', 2000, '2µs'],
  ] as const)('%s = %d ns, printed %s', (text, ns, printed) => {
    expect(parseGoDuration(text)).toBe(ns);
    expect(formatGoDuration(ns)).toBe(printed);
  });
  it('rejects what Go rejects, with Go\'s messages', () => {
    expect(() => parseGoDuration('10')).toThrow('time: missing unit in duration "10"');
    expect(() => parseGoDuration('1d')).toThrow('time: unknown unit "d" in duration "1d"');
    expect(() => parseGoDuration('')).toThrow('time: invalid duration ""');
  });
});

describe('Go filepath.Match', () => {
  it.each([
    ['*', 'abc', true],
    ['a*', 'abc', true],
    ['a*/b', 'abc/b', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[^c]', 'abc', false],
    ['a?b', 'a/b', false],
    ['a*', 'ab/c', false],
    ['\\*', '*', true],
  ] as const)('%s vs %s → %s', (pattern, name, expected) => {
    expect(goFilepathMatch(pattern, name)).toBe(expected);
  });
  it('returns ErrBadPattern for malformed patterns', () => {
    expect(() => goFilepathMatch('[', 'a')).toThrow(BadPatternError);
    expect(() => goFilepathMatch('a[', 'x')).toThrow(BadPatternError);
    expect(() => goFilepathMatch('\\', 'a')).toThrow(BadPatternError);
  });
});
