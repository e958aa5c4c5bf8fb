import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResultsFileError, parseResults, readResults, serializeResults, writeResults } from '../../../harness/results/results-file.ts';
import { RESULTS_FIXTURES, loadSynthetic, shardFiles, singleRun } from './synthetic-results.ts';

function errorOf(fn: () => unknown): ResultsFileError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ResultsFileError) return error;
    throw error;
  }
  throw new Error('expected a ResultsFileError');
}

const mutate = (change: (data: Record<string, unknown>) => void): string => {
  const data = JSON.parse(readFileSync(join(RESULTS_FIXTURES, 'single-run.json'), 'utf8')) as Record<string, unknown>;
  change(data);
  return JSON.stringify(data);
};

describe('results.json', () => {
  it('round-trips a synthetic run through a file unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-results-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const results = singleRun();
    await writeResults(results, join(dir, 'nested', 'results.json'));
    expect(await readResults(join(dir, 'nested', 'results.json'))).toEqual(results);
    expect(readFileSync(join(dir, 'nested', 'results.json'), 'utf8')).toBe(serializeResults(results));
  });

  it('reads every synthetic shard', () => {
    for (const file of shardFiles()) expect(loadSynthetic(file).shard?.total).toBe(2);
  });

  it('refuses another schema version before looking at any other field', () => {
    const error = errorOf(() => parseResults(mutate((d) => ((d.schemaVersion = 2), delete d.versions)), 'old/results.json'));
    expect(error.field).toBe('schemaVersion');
    expect(error.value).toBe('2');
    expect(error.message).toMatch(/^old\/results\.json: field schemaVersion must be 1 .*\(got 2\)/);
  });

  it('names the first malformed field with its path and value', () => {
    const error = errorOf(() =>
      parseResults(
        mutate((d) => {
          const versions = d.versions as { scenarios: { pods: Record<string, unknown>[] }[] }[];
          const pod = versions[1]?.scenarios[2]?.pods[1];
          if (pod) pod.outcome = 'probably-fine';
        }),
      ),
    );
    expect(error.field).toBe('versions[1].scenarios[2].pods[1].outcome');
    expect(error.message).toContain('must be one of match, mismatch, inconclusive, not-applicable, not-checked-at-depth (got "probably-fine")');
  });

  it('rejects a match that has no verdict behind it', () => {
    const error = errorOf(() =>
      parseResults(
        mutate((d) => {
          const versions = d.versions as { scenarios: { pods: Record<string, unknown>[] }[] }[];
          delete versions[0]?.scenarios[0]?.pods[0]?.verdict;
        }),
      ),
    );
    expect(error.field).toBe('versions[0].scenarios[0].pods[0].verdict');
  });

  it('says when the file is not JSON at all, or cannot be read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-results-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'results.json'), '{"schemaVersion": 1,');
    await expect(readResults(join(dir, 'results.json'))).rejects.toThrow(/results\.json: is not JSON/);
    await expect(readResults(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot be read \(ENOENT/);
  });

  it('refuses a shard index outside 1..total', () => {
    const error = errorOf(() => parseResults(mutate((d) => (d.shard = { index: 3, total: 2 }))));
    expect(error.field).toBe('shard.index');
  });
});
