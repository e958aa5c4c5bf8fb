import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { canonicalOrder } from '../../../harness/results/merge.ts';
import { redactResults } from '../../../harness/results/redact.ts';
import { parseResults } from '../../../harness/results/results-file.ts';
import { RESULTS_FIXTURES, shardFiles, singleRun } from './synthetic-results.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const pullproof = (args: string[], cwd = ROOT) => execa(process.execPath, [join(ROOT, 'bin', 'pullproof.mjs'), ...args], { cwd, reject: false, env: { NO_COLOR: '1' } });

describe('pullproof matrix', () => {
  it('prints a one-line GitHub Actions matrix for the given versions and scenarios', async () => {
    const run = await pullproof(['matrix', '--k8s', 'v1.34,1.35.8', '--shards', '2', '--scenarios', 'a,b,c']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toEqual({
      include: [
        { k8s: '1.34', shard: 1, shards: 2, scenarios: 'a,c' },
        { k8s: '1.34', shard: 2, shards: 2, scenarios: 'b' },
        { k8s: '1.35', shard: 1, shards: 2, scenarios: 'a,c' },
        { k8s: '1.35', shard: 2, shards: 2, scenarios: 'b' },
      ],
    });
  });

  it('reads scenario names from scenario files and balances by a previous run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-scenarios-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const f of ['cached-image-reverify.ts', 'sa-token-passthrough.ts', 'node-audience-rbac.ts', 'annotation-scoped-exchange.ts', 'index.ts', 'notes.md']) writeFileSync(join(dir, f), '');
    const run = await pullproof(['matrix', '--k8s', '1.37', '--shards', '2', '--scenarios-dir', dir, '--history', join(RESULTS_FIXTURES, 'single-run.json')]);
    expect(run.stderr).toBe('');
    const { include } = JSON.parse(run.stdout) as { include: { scenarios: string }[] };
    // Costs from the hand-written durations in fixtures/results/synthetic/single-run.json (means over
    // its four versions): passthrough 77.25 s (its 1.33 entry, 186 s, is written with a pod that timed
    // out), cached 39 s, exchange 29 s, audience 9 s — so passthrough alone balances the other three (77 s).
    expect(include.map((e) => e.scenarios)).toEqual(['sa-token-passthrough', 'annotation-scoped-exchange,cached-image-reverify,node-audience-rbac']);
  });

  it('fails with exit 2 and the known versions on an unknown --k8s', async () => {
    const run = await pullproof(['matrix', '--k8s', '1.29', '--scenarios', 'a']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/Kubernetes 1\.29 is not supported: pullproof knows 1\.33, 1\.34, 1\.35, 1\.36, 1\.37/);
  });

  it('fails with exit 2 on --shards that is not a number', async () => {
    const run = await pullproof(['matrix', '--shards', 'two', '--scenarios', 'a']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--shards "two" is not a whole number >= 1');
  });
});

describe('pullproof report merge', () => {
  function downloadedArtifacts(skip?: string): string {
    // The layout actions/download-artifact leaves: one folder per artifact, the run id inside.
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-download-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const file of shardFiles()) {
      if (file === skip) continue;
      const target = join(dir, `e2e-${file.replace(/\.json$/, '')}`, 'gh-7712345-1');
      mkdirSync(target, { recursive: true });
      copyFileSync(join(RESULTS_FIXTURES, file), join(target, 'results.json'));
    }
    return dir;
  }

  it('merges downloaded shard artifacts into the single run, with JUnit and HTML, exit 1 because the run failed', async () => {
    const downloaded = downloadedArtifacts();
    const out = join(downloaded, 'merged');
    const run = await pullproof(['report', 'merge', downloaded, '--out', out]);
    expect(run.stderr).toContain('merged 6 results files');
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^FAIL: 40 pods/m);
    // Outputs are redacted: the synthetic 1.34 mismatch quotes a token, which the merged file must not.
    expect(parseResults(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(redactResults(canonicalOrder(singleRun())));
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('<testsuites name="pullproof gh-7712345-1" tests="40" failures="2"');
    expect(existsSync(join(out, 'report.html'))).toBe(true);

    // Merging again with the output inside the searched folder ignores the previous output.
    const again = await pullproof(['report', 'merge', downloaded, '--out', out]);
    expect(again.stderr).toContain('merged 6 results files');
  });

  it('refuses to merge when a shard is missing, unless --allow-partial', async () => {
    const downloaded = downloadedArtifacts('shard-1.34-2-of-2.json');
    const run = await pullproof(['report', 'merge', downloaded, '--out', join(downloaded, 'merged')]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('results are missing for Kubernetes 1.34: shard 2 of 2');
    const partial = await pullproof(['report', 'merge', downloaded, '--out', join(downloaded, 'merged'), '--allow-partial']);
    expect(partial.stderr).toContain('merged 5 results files');
  });

  it('names a malformed input file and field', async () => {
    const downloaded = downloadedArtifacts();
    const bad = join(downloaded, 'e2e-shard-1.33-1-of-2', 'gh-7712345-1', 'results.json');
    writeFileSync(bad, readFileSync(bad, 'utf8').replace('"depth": "cluster"', '"depth": "kind"'));
    const run = await pullproof(['report', 'merge', downloaded]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/results\.json: field versions\[0\]\.depth must be one of cluster, node, plugin \(got "kind"\)/);
  });
});

describe('pullproof report render', () => {
  it('writes the artifacts/<run-id>/ layout with --artifacts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pullproof-render-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const run = await pullproof(['report', 'render', join(RESULTS_FIXTURES, 'single-run.json'), '--artifacts', root]);
    expect(run.exitCode).toBe(0);
    for (const file of ['results.json', 'junit.xml', 'report.html']) expect(existsSync(join(root, 'gh-7712345-1', file)), file).toBe(true);
  });
});

describe('pullproof report summary', () => {
  it('prints the table and exits 1 for a failed run, 0 for a passing one', async () => {
    const failed = await pullproof(['report', 'summary', join(RESULTS_FIXTURES, 'single-run.json')]);
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toContain('Kubernetes 1.37 · plugin depth');
    const passing = await pullproof(['report', 'summary', join(RESULTS_FIXTURES, 'shard-1.37-1-of-2.json')]);
    expect(passing.exitCode).toBe(0);
    expect(passing.stdout).toMatch(/^PASS: /m);
  });
});
