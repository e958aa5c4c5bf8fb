#!/usr/bin/env node
// Prints vitest's JSON result as the plain closing line CI systems read:
// "tests: N passed, N failed, N skipped". Exits 1 when the file is missing or ran no test.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'artifacts/vitest.json';
let result;
try {
  result = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  process.stderr.write(`test-summary: cannot read vitest results from ${file}: ${error.message}\n`);
  process.exit(1);
}
const passed = result.numPassedTests ?? 0;
const failed = result.numFailedTests ?? 0;
const skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
if (passed + failed === 0) {
  process.stderr.write('test-summary: no test ran\n');
  process.exit(1);
}
