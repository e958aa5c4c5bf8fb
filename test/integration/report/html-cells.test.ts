import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PodResult, RunResults } from '../../../harness/results/model.ts';
import { renderHtmlReport } from '../../../harness/report/html.ts';
import { describeWhenPresent } from '../../support/docker.ts';

/** The pull matrix answers at a glance: what happened (pulled / denied, why) apart from whether it was expected. */

const CHROMIUM = '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (install Debian's chromium package, as .ci/host-setup.sh does)`;

const none = { events: [], kubeletLog: [], audit: [], trace: [] };
function pod(name: string, sa: string, expected: PodResult['expected'], verdict: PodResult['verdict'], outcome: PodResult['outcome']): PodResult {
  return { pod: name, namespace: 'team-a', serviceAccount: sa, image: 'r:5000/s/team-a/app:v1', expected, verdict, outcome, evidence: none, annotations: {} };
}
const insufficient = { kind: 'denied' as const, reason: 'ErrImagePull', message: 'Failed to pull image "r:5000/s/team-a/app:v1": … server message: insufficient_scope: authorization failed' };
const results: RunResults = {
  schemaVersion: 1, runId: 'cells', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z',
  versions: [{
    kubernetes: '1.34', depth: 'node', environment: { featureGates: {} },
    scenarios: [{
      name: 'cells', summary: 's', property: 'p', durationMs: 1,
      pods: [
        pod('pulled-as-expected', 'reader-a', { kind: 'pulled' }, { kind: 'pulled', reason: 'Running' }, 'match'),
        pod('denied-as-expected', 'reader-b', { kind: 'denied', reason: 'insufficient_scope' }, insufficient, 'match'),
        pod('pulled-unexpectedly', 'reader-c', { kind: 'denied' }, { kind: 'pulled', reason: 'Running' }, 'mismatch'),
        pod('denied-unexpectedly', 'reader-d', { kind: 'pulled' }, insufficient, 'mismatch'),
      ],
    }],
  }],
};

describeWhenPresent(missing, 'pull matrix cells in chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pullproof-cells-'));
    writeFileSync(join(dir, 'report.html'), renderHtmlReport(results));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cell = (name: string) => page.locator(`button.pod-cell[data-pod="${name}"]`);

  it('shows pulled vs denied (with the reason) in the cell, whatever the expectation', async () => {
    expect(await cell('pulled-as-expected').locator('.fate').innerText()).toBe('⬇ pulled');
    expect(await cell('pulled-unexpectedly').locator('.fate').innerText()).toBe('⬇ pulled');
    expect(await cell('denied-as-expected').locator('.fate').innerText()).toBe('⊘ denied: insufficient_scope');
    expect(await cell('denied-unexpectedly').locator('.fate').innerText()).toBe('⊘ denied: insufficient_scope');
  });

  it('shows expected vs unexpected as a different thing: colour, glyph and word, whatever happened', async () => {
    for (const [name, word, glyph] of [['pulled-as-expected', 'as expected', '✓'], ['denied-as-expected', 'as expected', '✓'], ['pulled-unexpectedly', 'NOT expected', '✗'], ['denied-unexpectedly', 'NOT expected', '✗']] as const) {
      expect(await cell(name).locator('.expectation').innerText(), name).toBe(word);
      expect(await cell(name).locator('.glyph').innerText(), name).toBe(glyph);
    }
    const background = (name: string) => cell(name).evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
    expect(await background('pulled-as-expected')).toBe(await background('denied-as-expected'));
    expect(await background('pulled-unexpectedly')).not.toBe(await background('pulled-as-expected'));
    expect(await cell('denied-as-expected').getAttribute('data-fate')).toBe('denied');
    expect(await cell('denied-as-expected').getAttribute('data-expectation')).toBe('expected');
  });
});
