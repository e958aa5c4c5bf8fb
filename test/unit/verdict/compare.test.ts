import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../../harness/results/model.ts';
import type { ExpectedFate } from '../../../harness/scenario/types.ts';
import { compare, describeFate } from '../../../harness/verdict/compare.ts';

/**
 * compare() decides whether a scenario passed, so every (expectation, verdict, gate) cell is written
 * out: a wrong cell here is a security verdict reported the wrong way round.
 */

const pulled: Verdict = { kind: 'pulled', reason: 'Running' };
const insufficientScope: Verdict = { kind: 'denied', reason: 'ErrImagePull', message: 'failed to authorize: failed to fetch oauth token: insufficient_scope: authorization failed' };
const unauthorized: Verdict = { kind: 'denied', reason: 'ImagePullBackOff', message: 'unexpected status from HEAD request: 401 Unauthorized' };
const neverPull: Verdict = { kind: 'denied', reason: 'ErrImageNeverPull', message: 'Container image "r/x" is not present with pull policy of Never' };
const registryDown: Verdict = { kind: 'denied', reason: 'ErrImagePull', message: 'dial tcp 172.18.0.3:5000: connect: connection refused' };
const deniedBare: Verdict = { kind: 'denied' };
const timedOut: Verdict = { kind: 'inconclusive', reason: 'Timeout', message: 'no verdict after 90 s: still waiting (ContainerCreating)' };

describe('compare: vulnerable-if-gate-off (the KEP-2535 hole)', () => {
  const fate = 'vulnerable-if-gate-off';

  it('with the gate off, a started pod is the known hole: a match that says so', () => {
    expect(compare(fate, pulled, false)).toEqual({ outcome: 'match', note: 'known hole: KubeletEnsureSecretPulledImages is off, so the cached image started without a credential check' });
  });

  it.each([
    ['insufficient_scope', insufficientScope],
    ['401', unauthorized],
    ['ErrImageNeverPull', neverPull],
    ['an unrelated failure', registryDown],
    ['no reason at all', deniedBare],
  ])('with the gate off, a pod denied by %s is a mismatch: the hole did not appear', (_label, verdict) => {
    expect(compare(fate, verdict, false)).toEqual({
      outcome: 'mismatch',
      note: 'KubeletEnsureSecretPulledImages is off, yet the pod was denied: the hole this scenario reproduces did not appear',
    });
  });

  it('with the gate on, a started pod is a mismatch: the cached image was used without valid credentials', () => {
    expect(compare(fate, pulled, true)).toEqual({ outcome: 'mismatch', note: 'KubeletEnsureSecretPulledImages is on but the pod started from the cached image without valid credentials' });
  });

  it.each<[string, Verdict]>([
    ['ErrImageNeverPull (pull policy Never)', neverPull],
    ['insufficient_scope (pull with the pod’s own credentials)', insufficientScope],
    ['401 Unauthorized', unauthorized],
    ['ErrImageNeverPull as the reason only', { kind: 'denied', reason: 'ErrImageNeverPull' }],
    ['insufficient_scope in the message only', { kind: 'denied', message: 'insufficient_scope' }],
  ])('with the gate on, a denial by re-verification matches: %s', (_label, verdict) => {
    expect(compare(fate, verdict, true)).toEqual({ outcome: 'match', note: 'KubeletEnsureSecretPulledImages on: cached image re-verified, pod denied' });
  });

  it('with the gate on, a denial for another reason is a mismatch that quotes it', () => {
    expect(compare(fate, registryDown, true)).toEqual({
      outcome: 'mismatch',
      note: 'KubeletEnsureSecretPulledImages is on and the pod was denied, but not by re-verification: ErrImagePull: dial tcp 172.18.0.3:5000: connect: connection refused',
    });
    expect(compare(fate, deniedBare, true)).toEqual({ outcome: 'mismatch', note: 'KubeletEnsureSecretPulledImages is on and the pod was denied, but not by re-verification: : ' });
    expect(compare(fate, { kind: 'denied', reason: 'ErrImagePull', message: '403 Forbidden' }, true).outcome).toBe('mismatch');
  });
});

describe('compare: pulled and denied expectations', () => {
  it('matches pulled with pulled, whatever the gate, with no note', () => {
    expect(compare('pulled', pulled, true)).toEqual({ outcome: 'match' });
    expect(compare('pulled', pulled, false)).toEqual({ outcome: 'match' });
  });

  it('reports a denial where a pull was expected, with reason and message', () => {
    expect(compare('pulled', insufficientScope, true)).toEqual({
      outcome: 'mismatch',
      note: 'expected pulled, got denied (ErrImagePull): failed to authorize: failed to fetch oauth token: insufficient_scope: authorization failed',
    });
    expect(compare('pulled', deniedBare, false)).toEqual({ outcome: 'mismatch', note: 'expected pulled, got denied ():' });
  });

  it('matches a denial whose "reason: message" matches the pattern, as a RegExp or a string', () => {
    expect(compare({ denied: /insufficient_scope/ }, insufficientScope, true)).toEqual({ outcome: 'match' });
    expect(compare({ denied: 'insufficient_scope' }, insufficientScope, false)).toEqual({ outcome: 'match' });
    expect(compare({ denied: '^ErrImageNeverPull: Container' }, neverPull, true)).toEqual({ outcome: 'match' });
    expect(compare({ denied: /^ImagePullBackOff: unexpected/ }, unauthorized, true)).toEqual({ outcome: 'match' });
    expect(compare({ denied: /^: $/ }, deniedBare, true)).toEqual({ outcome: 'match' });
  });

  it('reports a denial for another reason as a mismatch that quotes the text and the pattern', () => {
    expect(compare({ denied: /insufficient_scope/ }, registryDown, true)).toEqual({
      outcome: 'mismatch',
      note: 'denied, but "ErrImagePull: dial tcp 172.18.0.3:5000: connect: connection refused" does not match /insufficient_scope/',
    });
    expect(compare({ denied: 'ErrImageNeverPull' }, unauthorized, true).note).toBe('denied, but "ImagePullBackOff: unexpected status from HEAD request: 401 Unauthorized" does not match /ErrImageNeverPull/');
  });

  it('reports a pull where a denial was expected, naming the expected denial', () => {
    expect(compare({ denied: /insufficient_scope/ }, pulled, true)).toEqual({ outcome: 'mismatch', note: 'expected denied matching /insufficient_scope/, but the pod pulled the image' });
    expect(compare({ denied: 'a.b' }, pulled, false)).toEqual({ outcome: 'mismatch', note: 'expected denied matching /a.b/, but the pod pulled the image' });
  });
});

describe('compare: inconclusive', () => {
  it.each<[string, ExpectedFate]>([
    ['pulled', 'pulled'],
    ['vulnerable-if-gate-off', 'vulnerable-if-gate-off'],
    ['denied', { denied: /.*/ }],
  ])('never lets an inconclusive verdict pass (expected %s), whatever the gate', (_label, fate) => {
    for (const gate of [true, false]) {
      expect(compare(fate, timedOut, gate)).toEqual({ outcome: 'inconclusive', note: 'no verdict after 90 s: still waiting (ContainerCreating)' });
      expect(compare(fate, { kind: 'inconclusive' }, gate)).toEqual({ outcome: 'inconclusive', note: 'no verdict before the deadline' });
    }
  });
});

describe('describeFate', () => {
  it('names each expectation as the report shows it', () => {
    expect(describeFate('pulled')).toBe('pulled');
    expect(describeFate('vulnerable-if-gate-off')).toBe('vulnerable-if-gate-off');
    expect(describeFate({ denied: /insufficient_scope/i })).toBe('denied matching /insufficient_scope/i');
    expect(describeFate({ denied: 'ErrImageNeverPull' })).toBe('denied matching /ErrImageNeverPull/');
  });
});
