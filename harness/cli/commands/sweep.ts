import { resolve } from 'node:path';
import type { Command } from 'commander';
import { abortOnInterrupt } from '../../cluster/interrupt.ts';
import { SUPPORTED_MINORS, kubernetesVersion } from '../../cluster/versions.ts';
import { ARTIFACTS_OPTION, artifactsRoot, runArtifactPaths, writeRunArtifacts } from '../../report/artifacts.ts';
import { renderSweepTable } from '../../report/sweep-table.ts';
import { runFailed, type Depth } from '../../results/model.ts';
import { newRunId } from '../../runner/instantiate.ts';
import { runSuite, selectScenarios } from '../../runner/suite.ts';
import { BUILT_IN_SCENARIOS } from '../../../scenarios/index.ts';

interface SweepOptions {
  readonly scenario: string;
  readonly k8s: string;
  readonly depth: string;
  readonly artifacts?: string;
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run one scenario on several Kubernetes versions, one cluster at a time (deleted after), and print a version × verdict table')
    .requiredOption('--scenario <name>', 'the scenario to sweep')
    .option('--k8s <minors>', 'comma-separated Kubernetes minors', SUPPORTED_MINORS.join(','))
    .option('--depth <depth>', 'cluster, node or plugin', 'cluster')
    .option(...ARTIFACTS_OPTION)
    .action(async (options: SweepOptions) => {
      if (!['cluster', 'node', 'plugin'].includes(options.depth)) throw new Error(`--depth ${options.depth}: use cluster, node or plugin`);
      const scenarios = selectScenarios(BUILT_IN_SCENARIOS, [options.scenario]);
      const versions = options.k8s.split(',').map((v) => v.trim()).filter(Boolean).map(kubernetesVersion);
      const runId = newRunId();
      const root = artifactsRoot(options.artifacts);
      const interrupt = abortOnInterrupt();
      try {
        const results = await runSuite({
          depth: options.depth as Depth,
          versions,
          scenarios,
          runId,
          artifactsDir: resolve(runArtifactPaths(root, runId).dir),
          signal: interrupt.signal,
          log: (line) => void process.stderr.write(`${line}\n`),
        });
        await writeRunArtifacts(results, { root });
        process.stdout.write(renderSweepTable(results, options.scenario));
        process.exitCode = runFailed(results) ? 1 : 0;
      } finally {
        interrupt.dispose();
      }
    });
}
