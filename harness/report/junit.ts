import type { PodResult, RunResults, ScenarioResult, StepResult, VersionResult } from '../results/model.ts';
import { redactResults } from '../results/redact.ts';
import { actualLabel, expectedLabel, outcomeLabel, podTitle, tally } from './describe.ts';
import { escapeXmlAttribute as attr, escapeXmlText as text } from './escape.ts';

/**
 * JUnit XML in the common shape GitHub Actions reporters, Jenkins and GitLab read
 * (docs/results-schema.md § JUnit): one <testsuite> per Kubernetes version and depth, one
 * <testcase> per pod expectation with classname = scenario. Mismatch and inconclusive are
 * <failure>s; not-applicable and not-checked-at-depth are <skipped> with the reason; evidence goes
 * to <system-out>; service-account annotations are testcase <properties>.
 */

const seconds = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);

/** JUnit timestamps follow the Ant schema's pattern, `YYYY-MM-DDTHH:MM:SS` without a zone: we write UTC. */
export function junitTimestamp(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString().slice(0, 19);
}

function property(name: string, value: string, indent: string): string {
  return `${indent}<property name="${attr(name)}" value="${attr(value)}"/>`;
}

/** Evidence as a reader would want it in a CI log: sections, one line per item. */
export function evidenceText(pod: PodResult): string {
  const out: string[] = [];
  out.push(`pod ${pod.namespace}/${pod.pod}, service account ${pod.serviceAccount}, image ${pod.image}`);
  out.push(`expected: ${expectedLabel(pod.expected)}; actual: ${actualLabel(pod.verdict)}; outcome: ${outcomeLabel(pod.outcome)}`);
  if (pod.verdict?.message) out.push(`message: ${pod.verdict.message}`);
  if (pod.note) out.push(`note: ${pod.note}`);
  if (pod.fault) out.push(`fault: ${pod.fault.name}`);
  if (pod.rerun) out.push(`rerun: ${pod.rerun}`);
  const { events, kubeletLog, audit, trace } = pod.evidence;
  if (events.length) {
    out.push('', 'events:');
    for (const e of events) out.push(`  ${e.time ?? ''} ${e.type} ${e.reason}${e.count && e.count > 1 ? ` (x${e.count})` : ''}: ${e.message}`.trimEnd());
  }
  if (kubeletLog.length) out.push('', 'kubelet log:', ...kubeletLog.map((l) => `  ${l}`));
  if (audit.length) {
    out.push('', 'token-service audit:');
    for (const a of audit) {
      out.push(
        `  ${a.time} ${a.endpoint} subject=${a.subject ?? '-'} requested=[${a.requestedScopes.join(' ')}] granted=[${a.grantedScopes.join(' ')}]` +
          (a.denyReason ? ` denied: ${a.denyReason}` : ''),
      );
    }
  }
  if (trace.length) out.push('', 'trace:', ...trace.map((l) => `  ${l}`));
  return out.join('\n');
}

function testcase(scenario: ScenarioResult, pod: PodResult): string {
  const lines = [`    <testcase name="${attr(podTitle(pod))}" classname="${attr(scenario.name)}" time="${seconds(pod.durationMs)}">`];
  const annotations = Object.entries(pod.annotations);
  if (annotations.length) {
    lines.push('      <properties>', ...annotations.map(([k, v]) => property(k, v, '        ')), '      </properties>');
  }
  const summary = `expected ${expectedLabel(pod.expected)}, actual ${actualLabel(pod.verdict)}`;
  if (pod.outcome === 'mismatch' || pod.outcome === 'inconclusive') {
    const why = pod.fault ? `not a security finding: ${pod.fault.name}` : 'no decision before the timeout';
    const message = pod.outcome === 'inconclusive' ? `inconclusive: ${summary} (${why})` : `mismatch: ${summary}`;
    const body = [summary, pod.verdict?.message && `message: ${pod.verdict.message}`, pod.note && `note: ${pod.note}`, pod.rerun && `rerun: ${pod.rerun}`].filter(Boolean).join('\n');
    lines.push(`      <failure message="${attr(message)}" type="${pod.outcome}">${text(body)}</failure>`);
  } else if (pod.outcome === 'not-applicable' || pod.outcome === 'not-checked-at-depth') {
    lines.push(`      <skipped message="${attr(`${outcomeLabel(pod.outcome)}${pod.note ? `: ${pod.note}` : ''}`)}"/>`);
  }
  lines.push(`      <system-out>${text(evidenceText(pod))}</system-out>`, '    </testcase>');
  return lines.join('\n');
}

/** A scripted step as its own testcase: its commands, outputs and exit codes are the evidence. */
function stepcase(scenario: ScenarioResult, step: StepResult): string {
  const evidence = step.commands.map((c) => `$ ${c.command}\n${c.output}\n(exit ${String(c.exitCode)})`).join('\n\n');
  const lines = [`    <testcase name="${attr(`step ${step.name}`)}" classname="${attr(scenario.name)}" time="${seconds(step.durationMs)}">`];
  if (step.outcome === 'failed') {
    lines.push(`      <failure message="${attr(`step failed: ${step.note ?? ''}`)}" type="step-failed">${text([step.note, step.rerun && `rerun: ${step.rerun}`].filter(Boolean).join('\n'))}</failure>`);
  } else if (step.outcome !== 'done') {
    lines.push(`      <skipped message="${attr(`${step.outcome}${step.note ? `: ${step.note}` : ''}`)}"/>`);
  }
  lines.push(`      <system-out>${text(evidence)}</system-out>`, '    </testcase>');
  return lines.join('\n');
}

/** Step testcases counted like pods: failed → failure, not run or blocked → skipped. */
function stepCounts(scenarios: readonly ScenarioResult[]): { total: number; failed: number; skipped: number } {
  const steps = scenarios.flatMap((s) => s.steps ?? []);
  return { total: steps.length, failed: steps.filter((s) => s.outcome === 'failed').length, skipped: steps.filter((s) => s.outcome === 'not-run-at-depth' || s.outcome === 'blocked').length };
}

function suite(version: VersionResult, timestamp: string): string {
  const pods = version.scenarios.flatMap((s) => s.pods);
  const t = tally(pods);
  const st = stepCounts(version.scenarios);
  const time = seconds(version.scenarios.reduce((sum, s) => sum + s.durationMs, 0));
  const env = version.environment;
  const props: [string, string][] = [
    ['kubernetes', version.kubernetes],
    ['depth', version.depth],
    ...(['kindVersion', 'nodeImage', 'pluginVersion', 'containerdVersion'] as const).flatMap((k): [string, string][] => (env[k] ? [[k, env[k]]] : [])),
    ...Object.entries(env.featureGates).map(([gate, on]): [string, string] => [`featureGate.${gate}`, String(on)]),
  ];
  return [
    `  <testsuite name="${attr(`Kubernetes ${version.kubernetes} (${version.depth})`)}" tests="${t.total + st.total}" failures="${t.mismatch + t.inconclusive + st.failed}" errors="0" ` +
      `skipped="${t.notApplicable + t.notChecked + st.skipped}" time="${time}" timestamp="${attr(timestamp)}">`,
    '    <properties>',
    ...props.map(([k, v]) => property(k, v, '      ')),
    '    </properties>',
    ...version.scenarios.flatMap((s) => [...(s.steps ?? []).map((st) => stepcase(s, st)), ...s.pods.map((p) => testcase(s, p))]),
    '  </testsuite>',
  ].join('\n');
}

export function renderJUnit(input: RunResults): string {
  const results = redactResults(input);
  const all = tally(results.versions.flatMap((v) => v.scenarios.flatMap((s) => s.pods)));
  const st = stepCounts(results.versions.flatMap((v) => v.scenarios));
  const time = seconds(Math.max(0, Date.parse(results.finishedAt) - Date.parse(results.startedAt)));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`pullproof ${results.runId}`)}" tests="${all.total + st.total}" failures="${all.mismatch + all.inconclusive + st.failed}" errors="0" ` +
      `skipped="${all.notApplicable + all.notChecked + st.skipped}" time="${time}" timestamp="${junitTimestamp(results.startedAt)}">`,
    ...results.versions.map((v) => suite(v, junitTimestamp(results.startedAt))),
    '</testsuites>',
    '',
  ].join('\n');
}
