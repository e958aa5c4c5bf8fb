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

/**
 * What happened to a pod in a few words, apart from whether it was expected: `pulled`,
 * `denied: insufficient_scope`, `denied: registry … unreachable`. The pull matrix shows it in every
 * cell, so "✓ reader-b" also says whether reader-b pulled or was denied.
 */
export function fateLabel(pod: Pick<PodResult, 'verdict' | 'fault'>): string {
  const verdict = pod.verdict;
  if (!verdict) return 'not run';
  if (verdict.kind === 'pulled') return 'pulled';
  if (verdict.kind === 'inconclusive') return pod.fault ? `no verdict: ${pod.fault.name}` : 'no verdict';
  return `denied: ${pod.fault?.name ?? denialReason(verdict)}`;
}

/** The authorization word in a denial (what a reviewer looks for), else kubelet's waiting reason. */
export function denialReason(verdict: Verdict): string {
  const text = `${verdict.reason ?? ''} ${verdict.message ?? ''}`;
  const word = /insufficient_scope|invalid_token|401 Unauthorized|403 Forbidden|no basic auth credentials|not present with pull policy of Never/.exec(text)?.[0];
  return word ?? verdict.reason ?? 'denied';
}

/** Expected, unexpected, or neither (not run, no verdict): independent of pulled vs denied. */
export function expectationState(outcome: Outcome): 'expected' | 'unexpected' | 'undecided' {
  return outcome === 'match' ? 'expected' : outcome === 'mismatch' ? 'unexpected' : 'undecided';
}

export interface FaultGroup {
  readonly name: string;
  readonly kind: string;
  readonly rows: readonly { readonly scenario: string; readonly pod: string }[];
}

/** Inconclusive rows grouped under the fault that took them down, largest group first. */
export function faultGroups(scenarios: readonly { readonly name: string; readonly pods: readonly PodResult[] }[]): FaultGroup[] {
  const groups = new Map<string, { name: string; kind: string; rows: { scenario: string; pod: string }[] }>();
  for (const scenario of scenarios) {
    for (const pod of scenario.pods) {
      if (!pod.fault) continue;
      const group = groups.get(pod.fault.name) ?? { name: pod.fault.name, kind: pod.fault.kind, rows: [] };
      group.rows.push({ scenario: scenario.name, pod: pod.pod });
      groups.set(pod.fault.name, group);
    }
  }
  return [...groups.values()].sort((a, b) => b.rows.length - a.rows.length);
}
