import { defineConfig } from 'vitest/config';
import { selectedModules } from './test/mutation/modules.ts';

// For `make mutate` (stryker.config.mjs): the unit tests written for the module under mutation
// (test/mutation/modules.ts says why not all of them). Integration suites (Docker, kind,
// containerd) are too slow to run per mutant; the security core is pure and has unit tests for
// exactly that reason.
export default defineConfig({
  test: {
    include: [...new Set(selectedModules().modules.flatMap((module) => module.tests))],
    // Child-process tests next to the mutation run's own load on 2 cores.
    testTimeout: 60_000,
  },
});
