import type { Outcome, Verdict } from '../results/model.ts';
import type { ExpectedFate } from '../scenario/types.ts';

export interface Comparison {
  readonly outcome: Outcome;
  /** What differs on a mismatch, or what the match means for `vulnerable-if-gate-off`. */
  readonly note?: string;
}

export function describeFate(fate: ExpectedFate): string {
  if (fate === 'pulled') return 'pulled';
  if (fate === 'vulnerable-if-gate-off') return 'vulnerable-if-gate-off';
  return `denied matching ${String(fate.denied instanceof RegExp ? fate.denied : new RegExp(fate.denied))}`;
}

/**
 * Compares an expectation with a verdict. `vulnerable-if-gate-off` means: with
 * KubeletEnsureSecretPulledImages on, the pod must be denied; with it off, the pod starts — the
 * known hole, reported as a match with a note so a regression reproduction shows it plainly.
 */
export function compare(fate: ExpectedFate, verdict: Verdict, ensureSecretPulledImagesGate: boolean): Comparison {
  if (verdict.kind === 'inconclusive') return { outcome: 'inconclusive', note: verdict.message ?? 'no verdict before the deadline' };
  if (fate === 'vulnerable-if-gate-off') {
    if (ensureSecretPulledImagesGate) {
      if (verdict.kind !== 'denied') return { outcome: 'mismatch', note: 'KubeletEnsureSecretPulledImages is on but the pod started from the cached image without valid credentials' };
      // Re-verification denies as kubelet's image manager does (reference §5.4): ErrImageNeverPull with
      // Never, or a pull with the pod's own (insufficient) credentials. Anything else is another failure.
      const text = `${verdict.reason ?? ''}: ${verdict.message ?? ''}`;
      return /ErrImageNeverPull|insufficient_scope|401 Unauthorized/.test(text)
        ? { outcome: 'match', note: 'KubeletEnsureSecretPulledImages on: cached image re-verified, pod denied' }
        : { outcome: 'mismatch', note: `KubeletEnsureSecretPulledImages is on and the pod was denied, but not by re-verification: ${text}` };
    }
    return verdict.kind === 'pulled'
      ? { outcome: 'match', note: 'known hole: KubeletEnsureSecretPulledImages is off, so the cached image started without a credential check' }
      : { outcome: 'mismatch', note: 'KubeletEnsureSecretPulledImages is off, yet the pod was denied: the hole this scenario reproduces did not appear' };
  }
  if (fate === 'pulled') {
    return verdict.kind === 'pulled' ? { outcome: 'match' } : { outcome: 'mismatch', note: `expected pulled, got denied (${verdict.reason ?? ''}): ${verdict.message ?? ''}`.trim() };
  }
  if (verdict.kind === 'pulled') return { outcome: 'mismatch', note: `expected ${describeFate(fate)}, but the pod pulled the image` };
  const pattern = fate.denied instanceof RegExp ? fate.denied : new RegExp(fate.denied);
  const text = `${verdict.reason ?? ''}: ${verdict.message ?? ''}`;
  return pattern.test(text) ? { outcome: 'match' } : { outcome: 'mismatch', note: `denied, but "${text}" does not match ${String(pattern)}` };
}
