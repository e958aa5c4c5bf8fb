import { runFailed, type PodResult, type RunResults, type ScenarioResult, type VersionResult } from '../results/model.ts';
import { redactResults } from '../results/redact.ts';
import { actualLabel, cellState, expectationState, expectedLabel, faultGroups, fateLabel, outcomeLabel, tally, tallyLine } from './describe.ts';
import { escapeHtml as h } from './escape.ts';
import { evidenceText } from './junit.ts';
import { REPORT_CSS, REPORT_SCRIPT } from './html-assets.ts';

/**
 * The self-contained HTML pull matrix: one section per Kubernetes version and depth, in it one grid
 * per scenario (rows = service accounts, columns = images, one button per pod in its cell), a
 * detail panel filled from a pre-rendered <template> per pod, and a filter box. No external
 * asset: CSS and JS are inline and a Content-Security-Policy forbids every fetch. Every string is
 * redacted (redactResults) and HTML-escaped here; the script only moves pre-escaped nodes around.
 *
 * Stable hooks for tests and scripts: `section.version[data-kubernetes][data-depth]`,
 * `tr.pull-row[data-scenario][data-service-account]`, `td.cell[data-image][data-state]`,
 * `button.pod-cell[data-pod][data-outcome][data-state]`, `#filter`, `#detail`, `#filter-count`.
 */

interface IndexedPod {
  readonly id: string;
  readonly scenario: ScenarioResult;
  readonly pod: PodResult;
}

const STATE_RANK = { fail: 2, pass: 1, skip: 0 } as const;
const GLYPH = { pass: '✓', fail: '✗', skip: '–' } as const;

function shortImage(image: string): string {
  // Drop the registry host so columns stay narrow; the full reference is in the title and panel.
  const slash = image.indexOf('/');
  const host = slash > 0 ? image.slice(0, slash) : '';
  return /[.:]/.test(host) || host === 'localhost' ? image.slice(slash + 1) : image;
}

const EXPECTATION_WORD = { expected: 'as expected', unexpected: 'NOT expected', undecided: '' } as const;

/**
 * One pod in its cell: the colour and glyph say whether it went as expected; the `.fate` chip says
 * what happened (pulled, or denied with the reason) — two facts, shown apart.
 */
function podButton(entry: IndexedPod): string {
  const { pod } = entry;
  const state = cellState(pod.outcome);
  const fate = fateLabel(pod);
  const fateKind = pod.verdict?.kind === 'pulled' ? 'pulled' : pod.verdict?.kind === 'denied' ? 'denied' : pod.verdict ? 'inconclusive' : 'not-run';
  const expectation = expectationState(pod.outcome);
  const label = `${pod.pod}: ${fate}; expected ${expectedLabel(pod.expected)}, actual ${actualLabel(pod.verdict)} (${outcomeLabel(pod.outcome)})`;
  return (
    `<button type="button" class="pod-cell ${state}" data-detail="${h(entry.id)}" data-pod="${h(pod.pod)}" data-namespace="${h(pod.namespace)}" ` +
    `data-outcome="${h(pod.outcome)}" data-state="${state}" data-expected="${h(pod.expected.kind)}" data-actual="${h(pod.verdict?.kind ?? 'not-run')}" ` +
    `data-fate="${fateKind}" data-expectation="${expectation}" ` +
    `title="${h(label)}" aria-label="${h(label)}"><span class="glyph" aria-hidden="true">${GLYPH[state]}</span> ${h(pod.pod)}` +
    `<span class="fate ${fateKind}">${fateKind === 'pulled' ? '⬇ ' : fateKind === 'denied' ? '⊘ ' : ''}${h(fate)}</span>` +
    (EXPECTATION_WORD[expectation] ? `<span class="expectation">${EXPECTATION_WORD[expectation]}</span>` : '') +
    `</button>`
  );
}

function stepList(scenario: ScenarioResult): string {
  if (!scenario.steps?.length) return '';
  const items = scenario.steps.map((step) => {
    const commands = step.commands.map((c) => `$ ${c.command}\n${c.output}\n(exit ${String(c.exitCode)})`).join('\n\n');
    return `<li class="step ${h(step.outcome)}" data-step="${h(step.name)}" data-outcome="${h(step.outcome)}">step <strong>${h(step.name)}</strong>${step.after ? ` after ${h(step.after)}` : ''}: ${h(step.outcome)}${step.note ? ` — ${h(step.note)}` : ''}` +
      `${commands ? `<details><summary>${step.commands.length} command(s)</summary><pre>${h(commands)}</pre></details>` : ''}${step.rerun ? `<pre class="rerun">${h(step.rerun)}</pre>` : ''}</li>`;
  });
  return `<ol class="steps">${items.join('')}</ol>`;
}

function faultBlock(version: VersionResult): string {
  const groups = faultGroups(version.scenarios);
  if (groups.length === 0) return '';
  return groups
    .map((g) => `<div class="faults" data-fault="${h(g.kind)}"><strong>Inconclusive, not a security finding:</strong> ${h(g.name)} — ${g.rows.length} row(s): ${h(g.rows.map((r) => `${r.scenario}/${r.pod}`).join(', '))}</div>`)
    .join('\n');
}

function scenarioGrid(version: VersionResult, scenario: ScenarioResult, pods: readonly IndexedPod[]): string {
  const images = [...new Set(scenario.pods.map((p) => p.image))];
  // A service account is its namespace and name: team-a/puller and team-b/puller are different identities.
  const accountKey = (p: PodResult): string => `${p.namespace}/${p.serviceAccount}`;
  const accounts = [...new Map(scenario.pods.map((p) => [accountKey(p), p])).values()];
  const head = images.map((image) => `<th scope="col" title="${h(image)}" data-image="${h(image)}">${h(shortImage(image))}</th>`).join('');
  const namespaces = new Set(scenario.pods.map((p) => p.namespace));
  const rows = accounts.map((first) => {
    const account = first.serviceAccount;
    const mine = pods.filter((p) => accountKey(p.pod) === accountKey(first));
    // Show the namespace only where it tells accounts apart.
    const label = namespaces.size > 1 ? `${first.namespace}/${account}` : account;
    const search = [scenario.name, account, ...mine.flatMap((p) => [p.pod.pod, p.pod.namespace, p.pod.image, p.pod.outcome])].join(' ').toLowerCase();
    const cells = images.map((image) => {
      const here = mine.filter((p) => p.pod.image === image);
      if (here.length === 0) return `<td class="cell empty" data-image="${h(image)}" data-state="none"></td>`;
      const state = here.map((p) => cellState(p.pod.outcome)).reduce((a, b) => (STATE_RANK[b] > STATE_RANK[a] ? b : a));
      return `<td class="cell ${state}" data-image="${h(image)}" data-state="${state}">${here.map(podButton).join('')}</td>`;
    });
    return (
      `<tr class="pull-row" data-scenario="${h(scenario.name)}" data-namespace="${h(first.namespace)}" data-service-account="${h(account)}" data-search="${h(search)}">` +
      `<th scope="row">${h(label)}</th>${cells.join('')}</tr>`
    );
  });
  const t = tally(scenario.pods);
  return `<div class="scenario" data-scenario="${h(scenario.name)}" data-kubernetes="${h(version.kubernetes)}">
<h3>${h(scenario.name)} <span class="tally">${t.match}/${t.total} match${t.mismatch + t.inconclusive ? `, <strong>${t.mismatch + t.inconclusive} failing</strong>` : ''}</span></h3>
<p class="property">${h(scenario.property)}</p>
<table class="grid"><thead><tr><th scope="col">service account \\ image</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>
${stepList(scenario)}
</div>`;
}

function environmentLine(version: VersionResult): string {
  const env = version.environment;
  const parts = [
    env.kindVersion && `kind ${env.kindVersion}`,
    env.nodeImage && `node ${env.nodeImage}`,
    env.containerdVersion && `containerd ${env.containerdVersion}`,
    env.pluginVersion && `plugin ${env.pluginVersion}`,
    ...Object.entries(env.featureGates).map(([gate, on]) => `${gate}=${String(on)}`),
  ].filter((p): p is string => Boolean(p));
  return parts.length ? `<p class="env">${parts.map(h).join(' · ')}</p>` : '';
}

function versionSection(version: VersionResult, pods: readonly IndexedPod[]): string {
  const t = tally(version.scenarios.flatMap((s) => s.pods));
  const failing = t.mismatch + t.inconclusive;
  return `<section class="version" data-kubernetes="${h(version.kubernetes)}" data-depth="${h(version.depth)}">
<h2>Kubernetes ${h(version.kubernetes)} <span class="depth">${h(version.depth)} depth</span> <span class="badge ${failing ? 'fail' : 'pass'}">${failing ? `${failing} failing` : 'all as expected'}</span></h2>
${environmentLine(version)}
<p class="tally">${h(tallyLine(t))}</p>
${faultBlock(version)}
${version.scenarios.map((s) => scenarioGrid(version, s, pods.filter((p) => p.scenario === s))).join('\n')}
</section>`;
}

function definition(term: string, value: string | undefined): string {
  return value ? `<dt>${h(term)}</dt><dd>${h(value)}</dd>` : '';
}

function preBlock(title: string, lines: readonly string[]): string {
  return `<h4>${h(title)}</h4>${lines.length ? `<pre>${h(lines.join('\n'))}</pre>` : '<p class="none">none recorded</p>'}`;
}

function detailTemplate(version: VersionResult, entry: IndexedPod): string {
  const { pod, scenario } = entry;
  const state = cellState(pod.outcome);
  const events = pod.evidence.events.map((e) => `${e.time ?? ''} ${e.type} ${e.reason}${e.count && e.count > 1 ? ` (x${e.count})` : ''}: ${e.message}`.trim());
  const audit = pod.evidence.audit.map(
    (a) =>
      `${a.time} ${a.endpoint} subject=${a.subject ?? '-'} requested=[${a.requestedScopes.join(' ')}] granted=[${a.grantedScopes.join(' ')}]` +
      (a.denyReason ? ` denied: ${a.denyReason}` : ''),
  );
  const annotations = Object.entries(pod.annotations).map(([k, v]) => `${k}: ${v}`);
  return `<template id="${h(entry.id)}"><div class="detail-body" data-pod="${h(pod.pod)}" data-outcome="${h(pod.outcome)}">
<h3><span class="badge ${state}">${h(outcomeLabel(pod.outcome))}</span> ${h(pod.pod)}</h3>
<dl>
${definition('Kubernetes', `${version.kubernetes} (${version.depth} depth)`)}${definition('scenario', scenario.name)}${definition('pod', `${pod.namespace}/${pod.pod}`)}
${definition('service account', pod.serviceAccount)}${definition('image', pod.image)}
<dt>expected</dt><dd class="expected">${h(expectedLabel(pod.expected))}</dd>
<dt>actual</dt><dd class="actual">${h(actualLabel(pod.verdict))}</dd>
<dt>what happened</dt><dd class="fate">${h(fateLabel(pod))}</dd>
${definition('message', pod.verdict?.message)}${definition('note', pod.note)}${definition('fault', pod.fault?.name)}${definition('started', pod.startedAt)}${definition('duration', pod.durationMs === undefined ? undefined : `${pod.durationMs} ms`)}
</dl>
<div class="evidence">
${annotations.length ? preBlock('service-account annotations', annotations) : ''}
${preBlock('events', events)}
${preBlock('kubelet log', pod.evidence.kubeletLog)}
${preBlock('token-service audit', audit)}
${preBlock('trace', pod.evidence.trace)}
</div>
${pod.rerun ? `<h4>rerun this scenario</h4><pre class="rerun">${h(pod.rerun)}</pre>` : ''}
<details><summary>as plain text (copy into an issue)</summary><pre>${h(evidenceText(pod))}</pre></details>
</div></template>`;
}

export interface HtmlOptions {
  /** Page title; defaults to `pullproof <runId>`. */
  readonly title?: string;
}

export function renderHtmlReport(input: RunResults, options: HtmlOptions = {}): string {
  const results = redactResults(input);
  const failed = runFailed(results);
  const all = tally(results.versions.flatMap((v) => v.scenarios.flatMap((s) => s.pods)));
  let counter = 0;
  const indexed = results.versions.map((version) => ({
    version,
    pods: version.scenarios.flatMap((scenario) => scenario.pods.map((pod) => ({ id: `detail-${++counter}`, scenario, pod }))),
  }));
  const title = options.title ?? `pullproof ${results.runId}`;
  const rowCount = indexed.reduce((n, { version }) => n + version.scenarios.reduce((m, s) => m + new Set(s.pods.map((p) => `${p.namespace}/${p.serviceAccount}`)).size, 0), 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${h(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body data-run-id="${h(results.runId)}" data-failed="${String(failed)}">
<header>
<h1>${h(title)} <span class="badge ${failed ? 'fail' : 'pass'}" id="run-verdict">${failed ? 'FAIL' : 'PASS'}</span></h1>
<p>${h(`${results.startedAt} → ${results.finishedAt}`)}${results.shard ? h(` · shard ${results.shard.index}/${results.shard.total}`) : ''} · ${h(tallyLine(all))}</p>
<p class="legend"><span class="pod-cell pass">✓ match</span> <span class="pod-cell fail">✗ mismatch / inconclusive</span> <span class="pod-cell skip">– not applicable / not checked at this depth</span> · in each cell: <span class="pod-cell skip"><span class="fate pulled">⬇ pulled</span></span> <span class="pod-cell skip"><span class="fate denied">⊘ denied: reason</span></span></p>
${(results.scenarioErrors ?? []).map((e) => `<p class="faults">scenario file ${h(e.file)}: ${h(e.message)}</p>`).join('\n')}
<label>Filter <input id="filter" type="search" placeholder="pod, service account, image, scenario, outcome" autocomplete="off"></label>
<span id="filter-count" aria-live="polite">${rowCount} of ${rowCount} rows</span>
</header>
<div class="layout">
<main>
${indexed.map(({ version, pods }) => versionSection(version, pods)).join('\n')}
${indexed.length === 0 ? '<p class="none">This run has no results.</p>' : ''}
</main>
<aside id="detail" aria-live="polite"><p class="hint">Select a cell to see expected, actual and the evidence.</p></aside>
</div>
${indexed.flatMap(({ version, pods }) => pods.map((p) => detailTemplate(version, p))).join('\n')}
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}
