// Mutation testing of pullproof's security core: `make mutate` (never part of `make test`).
// Each group is a module of the issue-14 list; scripts/mutation-scores.mjs prints the score per group
// from the JSON report, and test/mutation/equivalent-mutants.md lists every survivor that no test
// can kill, with the reason.
//   make mutate MUTATE_MODULES='verdicts manifests'   runs only those modules (each run is incremental).

/** Module name → the files Stryker mutates for it. */
export const MODULES = {
  'token-service': ['registry/token-service/service-account.ts', 'registry/token-service/scope.ts', 'registry/policy/policy.ts', 'registry/policy/glob.ts'],
  'plugin-modes': ['provider/plugin/passthrough.ts', 'provider/plugin/exchange.ts', 'provider/plugin/options.ts', 'provider/plugin/request.ts', 'provider/plugin/token.ts', 'provider/plugin/run.ts'],
  'kubelet-exact': ['harness/conformance/validate.ts', 'harness/conformance/match-images.ts', 'harness/conformance/protocol.ts', 'harness/conformance/cache-key.ts'],
  verdicts: ['harness/verdict/pod-verdict.ts', 'harness/verdict/compare.ts'],
  manifests: ['harness/runner/manifests.ts'],
  redaction: ['harness/results/redact.ts'],
};

// One module per run (MUTATE_MODULE=<name>), each with its own incremental file and report, so a
// run of one module never discards another's incremental results; no MUTATE_MODULE: all in one run.
const module = process.env.MUTATE_MODULE ?? '';
if (module !== '' && !(module in MODULES)) throw new Error(`MUTATE_MODULE: unknown module ${JSON.stringify(module)}; known: ${Object.keys(MODULES).join(', ')}`);
const files = module ? MODULES[module] : Object.values(MODULES).flat();
const name = module || 'all';

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
  incrementalFile: `.cache/stryker/incremental-${name}.json`,
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
