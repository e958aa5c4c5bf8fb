#!/usr/bin/env node
// Before an incremental Stryker run (`make mutate`): drops the Survived and NoCoverage results from
// the module's incremental file, so every survivor is tested again against the current tests.
// Why: Stryker reuses a *static* mutant's result (a module-level regex or table; its covering tests
// are unknown) as long as the mutant's code is unchanged, even after a new test was written to
// kill it — seen with harness/results/redact.ts, whose 21 regex survivors were reused although the
// new tests fail on each. Killed, timed-out and type-error results are still reused.
//   node scripts/mutation-retest-survivors.mjs <module>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { incrementalFile } from '../test/mutation/modules.ts';

const module = process.argv[2];
if (!module) throw new Error('usage: node scripts/mutation-retest-survivors.mjs <module>');
const file = join(import.meta.dirname, '..', incrementalFile(module));
if (existsSync(file)) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  let dropped = 0;
  for (const entry of Object.values(report.files)) {
    const before = entry.mutants.length;
    entry.mutants = entry.mutants.filter((mutant) => mutant.status !== 'Survived' && mutant.status !== 'NoCoverage');
    dropped += before - entry.mutants.length;
  }
  writeFileSync(file, JSON.stringify(report));
  if (dropped > 0) console.log(`mutate ${module}: ${dropped} survivor(s) of the last run will be tested again`);
}
