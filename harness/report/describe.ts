import type { Expectation, Outcome, PodResult, Verdict } from '../results/model.ts';

/** The words every output uses for the same facts, so the terminal, JUnit and HTML agree. */

export function expectedLabel(expected: Expectation): string {
  switch (expected.kind) {
    case 'pulled':
      return 'pulled';
    case 'denied':
      return expected.reason ? `denied (/${expected.reason}/)` : 'denied';
    case 'vulnerable-if-gate-off':
      return 'pulled only with KEP-2535 gate off';
  }
}

export function actualLabel(verdict: Verdict | undefined): string {
  if (!verdict) return 'not run';
  return verdict.reason ? `${verdict.kind} (${verdict.reason})` : verdict.kind;
}

/** What the expectation claims, as a verb phrase: "pulls", "is denied". */
export function expectationVerb(expected: Expectation): string {
  switch (expected.kind) {
    case 'pulled':
      return 'pulls';
    case 'denied':
      return 'is denied';
    case 'vulnerable-if-gate-off':
      return 'pulls (KEP-2535 gate off)';
  }
}

/** A readable test name: `reader (team-a-sa) pulls registry:5000/team-a/app:v1`. */
export function podTitle(pod: PodResult): string {
  return `${pod.pod} (${pod.serviceAccount}) ${expectationVerb(pod.expected)} ${pod.image}`;
}

export type CellState = 'pass' | 'fail' | 'skip';

/** Green, red or grey: inconclusive is a failure (DESIGN.md decision 6), not-applicable never a pass. */
export function cellState(outcome: Outcome): CellState {
  if (outcome === 'match') return 'pass';
  if (outcome === 'mismatch' || outcome === 'inconclusive') return 'fail';
  return 'skip';
}

export function outcomeLabel(outcome: Outcome): string {
  return outcome === 'not-checked-at-depth' ? 'not checked at depth' : outcome;
}

export interface Tally {
  readonly total: number;
  readonly match: number;
  readonly mismatch: number;
  readonly inconclusive: number;
  readonly notApplicable: number;
  readonly notChecked: number;
}

export function tally(pods: readonly PodResult[]): Tally {
  const count = (outcome: Outcome): number => pods.filter((p) => p.outcome === outcome).length;
  return {
    total: pods.length,
    match: count('match'),
    mismatch: count('mismatch'),
    inconclusive: count('inconclusive'),
    notApplicable: count('not-applicable'),
    notChecked: count('not-checked-at-depth'),
  };
}

export function tallyLine(t: Tally): string {
  return `${t.total} pods: ${t.match} match, ${t.mismatch} mismatch, ${t.inconclusive} inconclusive, ${t.notApplicable} not applicable, ${t.notChecked} not checked at depth`;
}
