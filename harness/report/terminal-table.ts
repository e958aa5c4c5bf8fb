import { runFailed, type Outcome, type RunResults } from '../results/model.ts';
import { redactResults } from '../results/redact.ts';
import { actualLabel, cellState, expectedLabel, faultGroups, outcomeLabel, tally, tallyLine } from './describe.ts';

/**
 * The terminal summary: one table per Kubernetes version and depth (scenario, pod, SA, image,
 * expected, actual, outcome), then one verdict line. Colour only when asked (a TTY); the plain
 * form is what CI logs and `> file` get.
 */

export interface TableOptions {
  readonly color: boolean;
}

const ANSI = { green: '\x1b[32m', red: '\x1b[31m', grey: '\x1b[90m', bold: '\x1b[1m', reset: '\x1b[0m' } as const;

const HEADERS = ['SCENARIO', 'POD', 'SERVICE ACCOUNT', 'IMAGE', 'EXPECTED', 'ACTUAL', 'OUTCOME'] as const;

function paint(text: string, code: string, color: boolean): string {
  return color ? `${code}${text}${ANSI.reset}` : text;
}

function outcomeColour(outcome: Outcome): string {
  const state = cellState(outcome);
  return state === 'pass' ? ANSI.green : state === 'fail' ? ANSI.red : ANSI.grey;
}

// Control characters in names would move the cursor or recolour the terminal: show them instead.
// eslint-disable-next-line no-control-regex
const plain = (text: string): string => text.replace(/[\u0000-\u001F\u007F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

export function renderTerminalTable(input: RunResults, options: TableOptions): string {
  const results = redactResults(input);
  const lines: string[] = [];
  const title = `pullproof run ${plain(results.runId)}${results.shard ? ` (shard ${results.shard.index}/${results.shard.total})` : ''}`;
  lines.push(paint(title, ANSI.bold, options.color), '');
  for (const version of results.versions) {
    const pods = version.scenarios.flatMap((s) => s.pods.map((pod) => ({ scenario: s.name, pod })));
    lines.push(paint(`Kubernetes ${plain(version.kubernetes)} · ${version.depth} depth`, ANSI.bold, options.color));
    if (pods.length === 0) {
      lines.push('  (no scenarios ran)', '');
      continue;
    }
    const rows = pods.map(({ scenario, pod }) => ({
      cells: [scenario, pod.pod, pod.serviceAccount, pod.image, expectedLabel(pod.expected), actualLabel(pod.verdict), outcomeLabel(pod.outcome)].map(plain),
      outcome: pod.outcome,
    }));
    const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.cells[i] ?? '').length)));
    const format = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
    lines.push(`  ${paint(format(HEADERS), ANSI.bold, options.color)}`);
    for (const row of rows) {
      const head = row.cells.slice(0, -1);
      const last = row.cells.at(-1) ?? '';
      lines.push(`  ${format([...head, ''])}${paint(last, outcomeColour(row.outcome), options.color)}`);
    }
    for (const scenario of version.scenarios) {
      for (const step of scenario.steps ?? []) {
        const last = step.commands.at(-1);
        lines.push(`  step ${plain(scenario.name)}/${plain(step.name)}: ${step.outcome}${step.note ? ` (${plain(step.note)})` : ''}${last ? ` · last: $ ${plain(last.command)} → exit ${String(last.exitCode)}` : ''}`);
      }
    }
    lines.push(`  ${tallyLine(tally(pods.map((p) => p.pod)))}`);
    // Faults first: rows taken down by a broken rig are not security findings, and say so as a group.
    for (const group of faultGroups(version.scenarios)) {
      lines.push(paint(`  inconclusive, not a security finding — ${plain(group.name)}: ${group.rows.length} row(s)`, ANSI.red, options.color));
      lines.push(`    ${group.rows.map((r) => `${plain(r.scenario)}/${plain(r.pod)}`).join(', ')}`);
    }
    const reruns = [...new Set(version.scenarios.flatMap((s) => [...s.pods.map((p) => p.rerun), ...(s.steps ?? []).map((st) => st.rerun)]).filter((r): r is string => Boolean(r)))];
    if (reruns.length) lines.push('  rerun a failing scenario:', ...reruns.map((r) => `    ${plain(r)}`));
    lines.push('');
  }
  for (const error of results.scenarioErrors ?? []) lines.push(paint(`scenario file ${plain(error.file)}: ${plain(error.message)}`, ANSI.red, options.color));
  const failed = runFailed(results);
  const all = tally(results.versions.flatMap((v) => v.scenarios.flatMap((s) => s.pods)));
  lines.push(paint(`${failed ? 'FAIL' : 'PASS'}: ${tallyLine(all)}`, failed ? ANSI.red : ANSI.green, options.color));
  return `${lines.join('\n')}\n`;
}
