import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeResults } from '../../../harness/results/merge.ts';
import type { RunResults } from '../../../harness/results/model.ts';
import { parseResults } from '../../../harness/results/results-file.ts';

/**
 * fixtures/results/recorded/ holds only what scripts/make-fixtures.ts wrote from real runs: every file
 * is in its MANIFEST.json with the depth, minor and shard it came from, and the results say the same.
 */

const DIR = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'results', 'recorded');
interface Entry { file: string; depth: string; kubernetes: string; shard?: string; scenarios: string[]; madeBy: string; commit: string }
const manifest = JSON.parse(readFileSync(join(DIR, 'MANIFEST.json'), 'utf8')) as { files: Entry[] };
const load = (file: string) => parseResults(readFileSync(join(DIR, file), 'utf8'), file);

describe('recorded results fixtures', () => {
  it('are exactly the files MANIFEST.json lists, each made by scripts/make-fixtures.ts', () => {
    expect(readdirSync(DIR).filter((f) => f !== 'MANIFEST.json').sort()).toEqual(manifest.files.map((e) => e.file).sort());
    for (const entry of manifest.files) expect(entry.madeBy).toMatch(/^node scripts\/make-fixtures\.ts --depth (plugin|node) /);
  });

  it.each(manifest.files.map((e) => [e.file, e] as const))('%s is the run its manifest entry describes', (file, entry) => {
    const results = load(file);
    expect(results.runId).toContain(`fixtures-${entry.depth}-${entry.kubernetes.replace('.', '')}`);
    expect(results.versions.map((v) => [v.kubernetes, v.depth])).toEqual([[entry.kubernetes, entry.depth]]);
    expect(results.versions[0]?.scenarios.map((s) => s.name).sort()).toEqual([...entry.scenarios].sort());
    expect(results.shard ? `${results.shard.index}/${results.shard.total}` : undefined).toBe(entry.shard);
  });

  it('has shards that merge (one environment) into the scenarios of the unsharded run', () => {
    for (const whole of manifest.files.filter((e) => !e.shard)) {
      const shards = manifest.files.filter((e) => e.shard && e.depth === whole.depth && e.kubernetes === whole.kubernetes);
      expect(shards.length).toBeGreaterThan(0);
      // mergeResults refuses shards of one version that ran in different environments (plugin
      // version, node image, registry image): real shards of one commit must merge.
      const merged = mergeResults(shards.map((e) => ({ results: load(e.file), source: e.file })));
      const names = (results: RunResults) => results.versions.flatMap((v) => v.scenarios.map((s) => s.name)).sort();
      expect(names(merged)).toEqual(names(load(whole.file)));
    }
  });
});
