import { defineConfig } from 'vitest/config';

// The unit project alone, for `make mutate` (stryker.config.mjs): mutants are judged by tests that
// need nothing but Node. Integration suites (Docker, kind, containerd) are too slow to run per
// mutant; the security core is pure and has unit tests for exactly that reason.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // Child-process tests next to the mutation run's own load on 2 cores.
    testTimeout: 60_000,
  },
});
