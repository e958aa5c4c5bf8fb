// Mutation testing of pullproof's security core: `make mutate` (never part of `make test`).
// The modules (files to mutate, tests that judge them) are in test/mutation/modules.ts;
// scripts/mutation-scores.mjs prints the score per module from the JSON reports, and
// test/mutation/equivalent-mutants.md lists every survivor that no test can kill, with the reason.
//   make mutate MUTATE_MODULES='verdicts manifests'   runs only those modules (each run is incremental).

import { incrementalFile, selectedModules } from './test/mutation/modules.ts';

// One module per run (MUTATE_MODULE=<name>), each with its own incremental file and report, so a
// run of one module never discards another's incremental results; no MUTATE_MODULE: all in one run.
const { name, modules } = selectedModules();
const files = modules.flatMap((module) => module.files);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  plugins: ['@stryker-mutator/vitest-runner', '@stryker-mutator/typescript-checker'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // Type-check only the mutated file's project graph, not every file in the repository per mutant.
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: files,
  coverageAnalysis: 'perTest',
  // Only mutants whose code or covering tests changed since the last run are run again.
  incremental: true,
  incrementalFile: incrementalFile(name),
  // 2 cores, shared with engineers running Docker tests.
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: `.cache/stryker/sandbox-${name}`,
  cleanTempDir: 'always',
  ignorePatterns: ['.toolchain', '.cache', 'artifacts', 'reports', 'dist', 'coverage'],
  reporters: ['progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  thresholds: { high: 90, low: 85, break: null },
};
