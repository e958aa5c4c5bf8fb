import { describe, expect, it } from 'vitest';
import { renderTerminalTable } from '../../../harness/report/terminal-table.ts';
import { singleRun, withPod } from './synthetic-results.ts';

const ESC = '\u001b[';

describe('terminal summary table', () => {
  const results = singleRun();

  it('prints one table per version and depth with the seven columns, plain when not a TTY', () => {
    const out = renderTerminalTable(results, { color: false });
    expect(out).not.toContain(ESC);
    expect(out.match(/^Kubernetes .*$/gm)).toEqual(['Kubernetes 1.33 · cluster depth', 'Kubernetes 1.34 · cluster depth', 'Kubernetes 1.37 · cluster depth', 'Kubernetes 1.37 · plugin depth']);
    expect(out).toMatch(/^ {2}SCENARIO +POD +SERVICE ACCOUNT +IMAGE +EXPECTED +ACTUAL +OUTCOME$/m);
    expect(out).toMatch(/^ {2}annotation-scoped-exchange +scoped-wrong-repo +scoped-reader +172\.18\.0\.1:5443\/team-b\/app:ex-134c +denied +pulled \(Running\) +mismatch$/m);
    expect(out).toMatch(/^ {2}node-audience-rbac +no-audience-grant +team-a-puller +\S+ +denied \(\/audience\/\) +not run +not-applicable$/m);
  });

  it('ends with FAIL and the counts when any pod mismatched or was inconclusive', () => {
    const out = renderTerminalTable(results, { color: false });
    expect(out.trimEnd().split('\n').at(-1)).toBe('FAIL: 40 pods: 34 match, 1 mismatch, 1 inconclusive, 1 not applicable, 3 not checked at depth');
  });

  it('ends with PASS when nothing failed', () => {
    let fixed = withPod(results, '1.34', 'scoped-wrong-repo', (p) => ({ ...p, outcome: 'match', verdict: { kind: 'denied', reason: 'ErrImagePull' } }));
    fixed = withPod(fixed, '1.33', 'reader-b-own', (p) => ({ ...p, outcome: 'match', verdict: { kind: 'pulled' } }));
    expect(renderTerminalTable(fixed, { color: false }).trimEnd().split('\n').at(-1)).toMatch(/^PASS: /);
  });

  it('colours outcomes on a TTY: red mismatch, green match, grey not-applicable', () => {
    const out = renderTerminalTable(results, { color: true });
    const line = (pod: string, version: string): string => out.split('Kubernetes ').find((block) => block.startsWith(version))?.split('\n').find((l) => l.includes(` ${pod} `)) ?? '';
    expect(line('scoped-wrong-repo', '1.34')).toContain(`${ESC}31mmismatch${ESC}0m`);
    expect(line('reader-a', '1.34')).toContain(`${ESC}32mmatch${ESC}0m`);
    expect(line('no-audience-grant', '1.33')).toContain(`${ESC}90mnot-applicable${ESC}0m`);
  });

  it('shows control characters in names instead of sending them to the terminal', () => {
    const hostile = withPod(results, '1.34', 'reader-a', (p) => ({ ...p, pod: 'evil\u001b]0;owned\u0007' }));
    const out = renderTerminalTable(hostile, { color: false });
    expect(out).toContain('evil\\x1b]0;owned\\x07');
    expect(out).not.toContain('\u001b');
  });
});
