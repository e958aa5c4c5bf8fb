import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ArtifactsError, artifactsRoot, runArtifactPaths, writeRunArtifacts } from '../../../harness/report/artifacts.ts';
import { redactResults } from '../../../harness/results/redact.ts';
import { readResults } from '../../../harness/results/results-file.ts';
import { singleRun } from './synthetic-results.ts';

describe('run artifacts layout', () => {
  it('writes <root>/<run-id>/ with results.json, junit.xml, report.html and audit.jsonl', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pullproof-artifacts-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const audit = [
      { endpoint: 'token', outcome: 'granted', grantedScopes: ['repository:team-a/app:pull'] },
      { endpoint: 'exchange', outcome: 'denied', denyReason: 'role team-a-read does not name team-b/app' },
    ];
    const paths = await writeRunArtifacts(singleRun(), { root, audit });
    expect(paths.dir).toBe(join(root, 'gh-7712345-1'));
    // results.json is the run itself, redacted (the last line of defence before any file).
    expect(await readResults(paths.results)).toEqual(redactResults(singleRun()));
    expect(JSON.parse(readFileSync(paths.results, 'utf8'))).toEqual(JSON.parse(JSON.stringify(redactResults(singleRun()))));
    expect(readFileSync(paths.junit, 'utf8')).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(readFileSync(paths.html, 'utf8')).toMatch(/^<!doctype html>/);
    expect(readFileSync(paths.audit, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(audit);
    expect(paths.kindLogs).toBe(join(paths.dir, 'kind-logs'));
    expect(existsSync(paths.kindLogs)).toBe(false); // only the runner's `kind export logs` creates it, on failure
  });

  it('refuses a run id that would escape the artifacts directory', () => {
    expect(() => runArtifactPaths('artifacts', '../etc')).toThrow(ArtifactsError);
    expect(() => runArtifactPaths('artifacts', 'a/b')).toThrow(/run id "a\/b" cannot name an artifacts directory/);
  });
});

describe('artifacts root', () => {
  it('takes --artifacts first, then $PULLPROOF_ARTIFACTS, then ./artifacts', () => {
    expect(artifactsRoot('/tmp/x', { PULLPROOF_ARTIFACTS: '/ci' })).toBe('/tmp/x');
    expect(artifactsRoot(undefined, { PULLPROOF_ARTIFACTS: '/ci' })).toBe('/ci');
    expect(artifactsRoot(undefined, {})).toBe('artifacts');
  });
});
