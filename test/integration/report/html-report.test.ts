import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderHtmlReport } from '../../../harness/report/html.ts';
import { describeWhenPresent } from '../../support/docker.ts';
import { allPods, singleRun, withPod } from '../../unit/report/synthetic-results.ts';

/**
 * The HTML report as a reviewer uses it, in Debian's chromium driven by playwright-core (no
 * browser download): grid cells and their colours, the filter box, a red cell's evidence.
 * Without /usr/bin/chromium the suite skips saying so; under PULLPROOF_REQUIRE_DOCKER=1 (CI,
 * where .ci/host-setup.sh installs chromium) a missing browser is a failure instead.
 */

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..', '..');
const SCREENSHOT = join(ROOT, 'artifacts', 'report-screenshot.png');
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (install Debian's chromium package, as .ci/host-setup.sh does)`;

const RGB = { pass: 'rgb(26, 127, 55)', fail: 'rgb(207, 34, 46)', skip: 'rgb(110, 119, 129)' } as const;
const PROBE = '<img src=x onerror="window.__pwned=1">';
const JWT_HEAD = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InBwLTEifQ';

/** The page globals the assertions read (the project's TypeScript config has no DOM lib). */
interface DomElement {
  getAttribute(name: string): string | null;
  closest(selector: string): DomElement | null;
  scrollIntoView(): void;
}
interface BrowserGlobals {
  getComputedStyle(element: unknown): { backgroundColor: string };
  __pwned?: number;
}

describeWhenPresent(missing, 'HTML report in chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let reportDir: string | undefined;
  const requests: string[] = [];
  const results = withPod(singleRun(), '1.34', 'scoped-wrong-repo', (p) => ({ ...p, evidence: { ...p.evidence, kubeletLog: [...p.evidence.kubeletLog, `registry said: ${PROBE}`] } }));

  beforeAll(async () => {
    reportDir = mkdtempSync(join(tmpdir(), 'pullproof-report-'));
    const dir = reportDir;
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtmlReport(results));
    profile = mkdtempSync(join(tmpdir(), 'pullproof-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1500, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (reportDir) rmSync(reportDir, { recursive: true, force: true });
  });

  const section = (k8s: string, depth: string): string => `section.version[data-kubernetes="${k8s}"][data-depth="${depth}"]`;
  const button = (k8s: string, depth: string, scenario: string, pod: string): string =>
    `${section(k8s, depth)} tr.pull-row[data-scenario="${scenario}"] button.pod-cell[data-pod="${pod}"]`;
  const background = (selector: string): Promise<string> => page.locator(selector).evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor);

  it('shows one grid section per version and depth and one cell per pod expectation', async () => {
    expect(await page.locator('section.version').evaluateAll((els: DomElement[]) => els.map((e) => `${e.getAttribute('data-kubernetes')}/${e.getAttribute('data-depth')}`))).toEqual([
      '1.33/cluster',
      '1.34/cluster',
      '1.37/cluster',
      '1.37/plugin',
    ]);
    expect(await page.locator('button.pod-cell').count()).toBe(allPods(results).length);
    expect(await page.locator('#run-verdict').textContent()).toBe('FAIL');
  });

  it('colours cells: green match, red mismatch and inconclusive, grey not-applicable and not-checked', async () => {
    const cases = [
      [button('1.34', 'cluster', 'sa-token-passthrough', 'reader-a'), 'match', 'pass'],
      [button('1.34', 'cluster', 'annotation-scoped-exchange', 'scoped-wrong-repo'), 'mismatch', 'fail'],
      [button('1.33', 'cluster', 'sa-token-passthrough', 'reader-b-own'), 'inconclusive', 'fail'],
      [button('1.33', 'cluster', 'node-audience-rbac', 'no-audience-grant'), 'not-applicable', 'skip'],
      [button('1.37', 'plugin', 'cached-image-reverify', 'first-puller'), 'not-checked-at-depth', 'skip'],
    ] as const;
    for (const [selector, outcome, state] of cases) {
      const cell = page.locator(selector);
      expect(await cell.getAttribute('data-outcome'), selector).toBe(outcome);
      expect(await cell.getAttribute('data-state'), selector).toBe(state);
      expect(await background(selector), selector).toBe(RGB[state]);
      expect(await cell.isVisible(), selector).toBe(true);
    }
    // The red cell sits in the column of its own image.
    const td = page.locator(`${section('1.34', 'cluster')} tr.pull-row[data-scenario="annotation-scoped-exchange"][data-service-account="scoped-reader"] td.cell.fail`);
    expect(await td.getAttribute('data-image')).toBe('172.18.0.1:5443/team-b/app:ex-134c');
  });

  it('filters rows as the reviewer types, and shows everything again when cleared', async () => {
    const total = await page.locator('tr.pull-row').count();
    await page.locator('#filter').fill('team-b-puller');
    const visible = page.locator('tr.pull-row:visible');
    expect(await visible.count()).toBeGreaterThan(0);
    expect(await visible.count()).toBeLessThan(total);
    expect(new Set(await visible.evaluateAll((rows: DomElement[]) => rows.map((r) => r.getAttribute('data-service-account'))))).toEqual(new Set(['team-b-puller']));
    expect(await page.locator('#filter-count').textContent()).toBe(`${await visible.count()} of ${total} rows`);

    await page.locator('#filter').fill('mismatch');
    expect(await page.locator('tr.pull-row:visible').evaluateAll((rows: DomElement[]) => rows.map((r) => `${r.closest('section')?.getAttribute('data-kubernetes')} ${r.getAttribute('data-scenario')} ${r.getAttribute('data-service-account')}`))).toEqual([
      '1.34 annotation-scoped-exchange scoped-reader',
    ]);
    expect(await page.locator('section.version:visible').count()).toBe(1);

    await page.locator('#filter').fill('');
    expect(await page.locator('tr.pull-row:visible').count()).toBe(total);
  });

  it('opens a red cell and shows expected, actual, note and the evidence, redacted and escaped', async () => {
    await page.locator(button('1.34', 'cluster', 'annotation-scoped-exchange', 'scoped-wrong-repo')).click();
    const detail = page.locator('#detail');
    expect(await detail.getAttribute('data-pod')).toBe('scoped-wrong-repo');
    expect(await detail.locator('dd.expected').textContent()).toBe('denied');
    expect(await detail.locator('dd.actual').textContent()).toBe('pulled (Running)');
    const text = (await detail.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('the exchanged credential was granted team-b/app although the role only names team-a');
    expect(text).toContain('Successfully pulled image "172.18.0.1:5443/team-b/app:ex-134c"'); // events
    expect(text).toContain('Using credential provider pullproof-provider'); // kubelet log
    expect(text).toContain('exchange subject=system:serviceaccount:pp-exchange-134c:scoped-reader requested=[repository:team-b/app:pull] granted=[repository:team-b/app:pull]'); // audit
    expect(text).toContain('exchange: POST /exchange role=team-a-read'); // trace
    expect(text).toContain('pullproof.dev/registry-role: team-a-read'); // annotations
    // Secrets from the synthetic trace are gone; hostile markup is shown as text and never runs.
    expect(text).not.toContain(JWT_HEAD);
    expect(text).not.toContain('ppx_9fK2mQ7vLx3RtY8wZp1A');
    expect(text).toContain('[REDACTED]');
    expect(text).toContain(`registry said: ${PROBE}`);
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__pwned)).toBeUndefined();

    // The screenshot shows the failing version from its heading, with the detail panel open.
    await page.locator(section('1.34', 'cluster')).evaluate((el: DomElement) => el.scrollIntoView());
    mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('loads nothing but the report file itself', () => {
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
  });
});
