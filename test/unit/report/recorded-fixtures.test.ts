import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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

  it('has shards that together cover the unsharded run, scenario for scenario', () => {
    for (const whole of manifest.files.filter((e) => !e.shard)) {
      const shards = manifest.files.filter((e) => e.shard && e.depth === whole.depth && e.kubernetes === whole.kubernetes);
      expect(shards.length).toBeGreaterThan(0);
      // Names only, not mergeResults: the two shard runs report different plugin bundle hashes
      // (environment.pluginVersion), which merge refuses as "different environments" (found by these
      // fixtures; the bundle is not reproducible between processes).
      const names = (files: string[]) => files.flatMap((f) => load(f).versions.flatMap((v) => v.scenarios.map((s) => s.name))).sort();
      expect(names(shards.map((e) => e.file))).toEqual(names([whole.file]));
    }
  });
});
