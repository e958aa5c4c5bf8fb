import type { Command } from 'commander';
import { SUPPORTED_MINORS, kubernetesVersion } from '../../cluster/versions.ts';
import { ARTIFACTS_OPTION } from '../../report/artifacts.ts';
import { renderSweepTable } from '../../report/sweep-table.ts';
import { newRunId } from '../../runner/instantiate.ts';
import { chooseScenarios } from '../scenario-choice.ts';
import { parseDepth, runSuiteFromCli } from '../suite-run.ts';

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
    .argument('[paths...]', 'scenario files or directories to find the scenario in (default: the built-in suite)')
    .requiredOption('--scenario <name>', 'the scenario to sweep')
    .option('--k8s <minors>', 'comma-separated Kubernetes minors', SUPPORTED_MINORS.join(','))
    .option('--depth <depth>', 'cluster, node or plugin', 'cluster')
    .option(...ARTIFACTS_OPTION)
    .action(async (paths: string[], options: SweepOptions) => {
      const depth = parseDepth(options.depth);
      const choice = await chooseScenarios(paths, { names: [options.scenario] });
      const versions = options.k8s.split(',').map((v) => v.trim()).filter(Boolean).map(kubernetesVersion);
      await runSuiteFromCli(
        { depth, versions, scenarios: choice.scenarios, sources: choice.sources, scenarioErrors: choice.errors, runId: newRunId() },
        options.artifacts,
        (results) => renderSweepTable(results, options.scenario),
      );
    });
}
