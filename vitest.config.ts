import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `integration` drives real Docker, registry,
// containerd and kind. Integration files run one at a time: they share one Docker engine on a
// 2-core machine, and parallel image builds only slow each other down.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Some unit tests run the CLI or the plugin as child processes (no Docker, no network);
          // next to the integration project on 2 cores a process start can exceed vitest's 5 s default.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
