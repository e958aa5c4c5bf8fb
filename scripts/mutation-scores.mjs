#!/usr/bin/env node
// Prints the mutation score per module of test/mutation/modules.ts from reports/mutation/<module>.json,
// and the survivors that test/mutation/equivalent-mutants.md does not explain.
// Exit 1 when a module that ran scores under 85 % or has an unexplained survivor.
// Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker computes it;
// compile errors (mutants the TypeScript checker rejects) are not counted.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODULES } from '../test/mutation/modules.ts';

const ROOT = join(import.meta.dirname, '..');
const GOAL = 85;

/** A mutant's identity: place, mutator and replacement (two mutants can share a place and mutator). */
const mutantKey = (path, line, column, mutator, replacement) => `${path}:${line}:${column}:${mutator}:${replacement}`;

/**
 * Rows of the equivalents table: `| file:line:column | Mutator | replacement | reason |`, the
 * replacement in backticks as Stryker prints it (a `|` inside a cell written `\|`).
 */
function equivalents() {
  const text = readFileSync(join(ROOT, 'test', 'mutation', 'equivalent-mutants.md'), 'utf8');
  const keys = new Set();
  for (const line of text.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
    const where = /^`?([\w./-]+\.ts):(\d+):(\d+)`?$/.exec(cells[1] ?? '');
    const replacement = /^`(.*)`$/.exec(cells[3] ?? '')?.[1] ?? cells[3] ?? '';
    if (where) keys.add(mutantKey(where[1], where[2], where[3], (cells[2] ?? '').replace(/`/g, ''), replacement));
  }
  return keys;
}

const explained = equivalents();
let failed = false;
const rows = [];
const unexplained = [];
for (const [module, { files }] of Object.entries(MODULES)) {
  const file = join(ROOT, 'reports', 'mutation', `${module}.json`);
  if (!existsSync(file)) {
    rows.push([module, 'not run', '', '', '', '', '']);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const count = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 };
  let listed = 0;
  for (const path of files) {
    for (const mutant of report.files[path]?.mutants ?? []) {
      count[mutant.status] = (count[mutant.status] ?? 0) + 1;
      if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
      const key = mutantKey(path, mutant.location.start.line, mutant.location.start.column, mutant.mutatorName, mutant.replacement ?? '');
      if (explained.has(key)) listed++;
      else unexplained.push(key);
    }
  }
  const detected = count.Killed + count.Timeout;
  const valid = detected + count.Survived + count.NoCoverage;
  const score = valid === 0 ? 100 : (100 * detected) / valid;
  if (score < GOAL) failed = true;
  rows.push([module, `${score.toFixed(1)} %`, String(count.Killed + count.Timeout), String(count.Survived), String(count.NoCoverage), String(listed), String(count.CompileError)]);
}

const header = ['module', 'score', 'killed', 'survived', 'no cover', 'equivalent', 'type errors'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(line(header));
for (const row of rows) console.log(line(row));
if (unexplained.length > 0) {
  failed = true;
  console.log(`\nsurvivors neither killed nor listed in test/mutation/equivalent-mutants.md (${unexplained.length}):`);
  for (const u of unexplained) console.log(`  ${u}`);
}
console.log(`\ngoal: >= ${GOAL} % per module, every survivor killed or listed as equivalent`);
process.exit(failed ? 1 : 0);
