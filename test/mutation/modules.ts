// The modules of pullproof's security core that `make mutate` measures (issue 14), each with the
// files Stryker mutates and the unit test files that judge its mutants. Read by stryker.config.mjs,
// vitest.mutation.config.ts and scripts/mutation-scores.mjs (Node ≥ 22.18 imports .ts directly).
//
// Why a test list per module instead of every unit test: a mutant in a module-level constant (a
// regex, an allow-list) is "static" — Stryker cannot tell which tests cover it and runs the whole
// test set for it. Over all unit tests that is ~25 s per static mutant with CLI tests that spawn
// processes. The lists below are the unit tests written for each module (found by what they
// import). Leaving a test out can only let a mutant survive, never hide one: a list that is too
// short lowers the score, it cannot raise it.

export interface MutationModule {
  /** Files Stryker mutates. */
  readonly files: readonly string[];
  /** Unit test files that judge the mutants. */
  readonly tests: readonly string[];
}

export const MODULES: Record<string, MutationModule> = {
  'token-service': {
    files: ['registry/token-service/service-account.ts', 'registry/token-service/scope.ts', 'registry/policy/policy.ts', 'registry/policy/glob.ts'],
    tests: ['test/unit/registry/service-account.test.ts', 'test/unit/registry/service-account-discovery.test.ts', 'test/unit/registry/scope.test.ts', 'test/unit/registry/policy.test.ts'],
  },
  'plugin-modes': {
    files: ['provider/plugin/passthrough.ts', 'provider/plugin/exchange.ts', 'provider/plugin/options.ts', 'provider/plugin/request.ts', 'provider/plugin/token.ts', 'provider/plugin/run.ts'],
    tests: ['test/unit/provider/plugin-modes.test.ts', 'test/unit/provider/plugin-modes-transport.test.ts'],
  },
  'kubelet-exact': {
    files: ['harness/conformance/validate.ts', 'harness/conformance/match-images.ts', 'harness/conformance/protocol.ts', 'harness/conformance/cache-key.ts'],
    tests: [
      'test/unit/conformance/validate.test.ts',
      'test/unit/conformance/validate-versions.test.ts',
      'test/unit/conformance/match-images.test.ts',
      'test/unit/conformance/protocol.test.ts',
      'test/unit/conformance/kubelet-exact.test.ts',
      'test/unit/conformance/docker-keyring.test.ts',
      'test/unit/conformance/cache-key.test.ts',
    ],
  },
  verdicts: {
    files: ['harness/verdict/pod-verdict.ts', 'harness/verdict/compare.ts'],
    tests: ['test/unit/verdict/pod-verdict.test.ts', 'test/unit/verdict/compare.test.ts'],
  },
  manifests: {
    files: ['harness/runner/manifests.ts'],
    tests: ['test/unit/runner/manifests.test.ts', 'test/unit/runner/pod-manifest.test.ts'],
  },
  redaction: {
    files: ['harness/results/redact.ts'],
    tests: ['test/unit/report/redact.test.ts', 'test/unit/report/artifacts.test.ts'],
  },
};

/** The module named by MUTATE_MODULE (the Makefile runs one per Stryker run), or all of them. */
export function selectedModules(env: NodeJS.ProcessEnv = process.env): { name: string; modules: MutationModule[] } {
  const name = env.MUTATE_MODULE ?? '';
  if (name === '') return { name: 'all', modules: Object.values(MODULES) };
  const module = MODULES[name];
  if (!module) throw new Error(`MUTATE_MODULE: unknown module ${JSON.stringify(name)}; known: ${Object.keys(MODULES).join(', ')}`);
  return { name, modules: [module] };
}

/** Stryker's incremental file for a module (or `all`), relative to the repository root. */
export const incrementalFile = (name: string): string => `.cache/stryker/incremental-${name}.json`;
