import type { Command } from 'commander';
import { SUPPORTED_MINORS, kubernetesVersion } from '../../cluster/versions.ts';
import { readResults } from '../../results/results-file.ts';
import { scenarioNamesFromDir } from '../../results/scenario-names.ts';
import { loadScenarioFiles } from '../../scenario/load.ts';
import { MatrixPlanError, estimateCosts, planMatrix } from '../../results/shard-plan.ts';

interface MatrixOptions {
  readonly k8s?: string;
  readonly shards: string;
  readonly scenarios?: string;
  readonly scenariosDir?: string;
  readonly history?: string;
  readonly pretty?: boolean;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Scenario names from files of the user's own; a file that does not load fails the plan, naming it. */
async function namesFromFiles(paths: readonly string[]): Promise<string[]> {
  const loaded = await loadScenarioFiles(paths);
  const [first] = loaded.errors;
  if (first) throw new Error(`scenario file ${first.file}: ${first.message}`);
  return loaded.scenarios.map((l) => l.scenario.name);
}

export function registerMatrix(program: Command): void {
  program
    .command('matrix')
    .description('print the GitHub Actions matrix (JSON) that runs the scenarios per Kubernetes version in balanced shards')
    .argument('[paths...]', 'scenario files or directories of your own: plan their scenarios (the run step passes the same paths)')
    .option('--k8s <minors>', `comma-separated Kubernetes minors (default: all supported, ${SUPPORTED_MINORS.join(',')})`)
    .option('--shards <n>', 'shards per Kubernetes version (fewer when there are fewer scenarios)', '1')
    .option('--scenarios <names>', 'comma-separated scenario names (default: the scenarios/*.ts file names)')
    .option('--scenarios-dir <dir>', 'where to find scenario files when --scenarios is not given')
    .option('--history <results.json>', 'a previous results.json whose scenario durations estimate the cost of each scenario')
    .option('--pretty', 'indent the JSON (GitHub outputs need the default single line)')
    .addHelpText('after', '\nExample (a workflow step):\n  echo "matrix=$(npx pullproof matrix --shards 2)" >> "$GITHUB_OUTPUT"\n')
    .action(async (paths: string[], options: MatrixOptions) => {
      // Normalise "v1.34" / "1.34.8" to the table's minor, failing on unknown ones with the known list.
      const versions = options.k8s === undefined ? SUPPORTED_MINORS : list(options.k8s).map((v) => kubernetesVersion(v).minor);
      const scenarios = options.scenarios !== undefined ? list(options.scenarios) : paths.length > 0 ? await namesFromFiles(paths) : await scenarioNamesFromDir(options.scenariosDir);
      if (!/^\d+$/.test(options.shards)) throw new MatrixPlanError('--shards', options.shards, 'is not a whole number >= 1');
      const shards = Number(options.shards);
      const history = options.history === undefined ? undefined : await readResults(options.history);
      const matrix = planMatrix({ versions, scenarios, shards, costs: estimateCosts(scenarios, history) });
      process.stdout.write(`${JSON.stringify(matrix, null, options.pretty ? 2 : undefined)}\n`);
    });
}
