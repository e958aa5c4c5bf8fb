import type { RunResults } from '../results/model.ts';
import { redactResults } from '../results/redact.ts';
import { actualLabel, expectedLabel, outcomeLabel } from './describe.ts';

/**
 * The regression-bisect view: one scenario across Kubernetes versions, one row per pod and one
 * column per version, each cell "<actual> (<outcome>)", so the version where a hole opens or closes
 * stands out in one line.
 */
export function renderSweepTable(input: RunResults, scenario: string): string {
  const results = redactResults(input);
  const versions = results.versions.map((v) => ({ label: `${v.kubernetes} (${v.depth})`, scenario: v.scenarios.find((s) => s.name === scenario) }));
  const pods = [...new Set(versions.flatMap((v) => v.scenario?.pods.map((p) => p.pod) ?? []))];
  const header = ['POD', 'EXPECTED', ...versions.map((v) => v.label)];
  const rows = pods.map((pod) => {
    const first = versions.flatMap((v) => v.scenario?.pods.filter((p) => p.pod === pod) ?? [])[0];
    return [
      pod,
      first ? expectedLabel(first.expected) : '',
      ...versions.map((v) => {
        const result = v.scenario?.pods.find((p) => p.pod === pod);
        if (!result) return '—';
        return result.verdict ? `${actualLabel(result.verdict)}: ${outcomeLabel(result.outcome)}` : outcomeLabel(result.outcome);
      }),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [`sweep ${scenario}`, line(header), ...rows.map(line), ''].join('\n');
}
