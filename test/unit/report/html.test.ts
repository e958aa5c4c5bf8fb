import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../../harness/report/html.ts';
import { allPods, singleRun, withPod } from './synthetic-results.ts';

describe('HTML report (static checks; the browser test covers behaviour)', () => {
  const results = singleRun();
  const html = renderHtmlReport(results);

  it('is self-contained: no external script, style, image or link, and a CSP that forbids fetching', () => {
    expect(html).not.toMatch(/<(script|img|iframe)[^>]+src=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`);
  });

  it('has one section per version and depth and one button per pod expectation', () => {
    expect(html.match(/<section class="version" data-kubernetes="[^"]+" data-depth="[^"]+">/g)).toHaveLength(4);
    expect(html.match(/<button type="button" class="pod-cell /g)).toHaveLength(allPods(results).length);
    expect(html.match(/<template id="detail-\d+">/g)).toHaveLength(allPods(results).length);
  });

  it('escapes every string it renders', () => {
    const probe = '<img src=x onerror="alert(1)">&amp;"\'';
    const hostile = withPod(results, '1.34', 'scoped-wrong-repo', (p) => ({
      ...p,
      note: probe,
      serviceAccount: probe,
      annotations: { [probe]: probe },
      evidence: { ...p.evidence, kubeletLog: [probe], events: [{ type: 'Warning', reason: probe, message: probe }] },
    }));
    const out = renderHtmlReport(hostile);
    expect(out).not.toContain('<img');
    expect(out).not.toContain('onerror="');
    expect(out).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;&quot;&#39;');
  });

  it('marks the run failed on the page when runFailed says so', () => {
    expect(html).toContain('data-failed="true"');
    expect(html).toMatch(/id="run-verdict">FAIL</);
  });

  it('gives same-named service accounts in different namespaces their own rows', () => {
    const version = { kubernetes: '1.34', depth: 'plugin' as const, environment: { featureGates: {} }, scenarios: [{
      name: 'same-name-other-namespace', summary: '', property: '', durationMs: 1,
      pods: ['team-a-1', 'team-b-1'].map((namespace, i) => ({
        pod: `p${i}`, namespace, serviceAccount: 'puller', image: 'r:5000/s/team-a/app:t', expected: { kind: 'pulled' as const },
        outcome: 'match' as const, verdict: { kind: 'pulled' as const }, evidence: { events: [], kubeletLog: [], audit: [], trace: [] }, annotations: {},
      })),
    }] };
    const out = renderHtmlReport({ schemaVersion: 1, runId: 'r', startedAt: 'x', finishedAt: 'y', versions: [version] });
    expect(out.match(/<tr class="pull-row"/g)).toHaveLength(2);
    expect(out).toContain('<th scope="row">team-a-1/puller</th>');
    expect(out).toContain('<th scope="row">team-b-1/puller</th>');
  });
});
