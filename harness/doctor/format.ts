import type { CheckStatus, DoctorReport } from './checks.ts';

const MARK: Record<CheckStatus, string> = { pass: 'ok  ', warn: 'warn', fail: 'FAIL' };
const COLOUR: Record<CheckStatus, string> = { pass: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' };

/** One line per check, its remedy indented below; colour only on a terminal. */
export function formatReport(report: DoctorReport, colour: boolean): string {
  const lines = [`pullproof doctor — Kubernetes ${report.kubernetes.minor} (${report.kubernetes.nodeImage})`];
  for (const check of report.checks) {
    const mark = colour ? `${COLOUR[check.status]}${MARK[check.status]}\x1b[0m` : MARK[check.status];
    lines.push(`  ${mark} ${check.title}: ${check.summary}`);
    if (check.remedy) lines.push(`       → ${check.remedy}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  lines.push(report.ok ? 'ready: `make e2e` can run here' : `not ready: ${failed} check(s) failed; \`make e2e\` would not work here`);
  return `${lines.join('\n')}\n`;
}
