import type { Command } from 'commander';
import { DEFAULT_MINOR, kubernetesVersion, withNodeImage } from '../../cluster/versions.ts';
import { ARTIFACTS_OPTION } from '../../report/artifacts.ts';
import { renderTerminalTable } from '../../report/terminal-table.ts';
import { newRunId } from '../../runner/instantiate.ts';
import { selectScenarios } from '../../runner/suite.ts';
import { logLine, parseDepth, runSuiteFromCli } from '../suite-run.ts';
import { BUILT_IN_SCENARIOS } from '../../../scenarios/index.ts';

interface RunOptions {
  readonly depth: string;
  readonly k8s: string;
  readonly scenario?: string[];
  readonly parallel: string;
  readonly reuse?: boolean;
  readonly keep?: boolean;
  readonly podTimeout: string;
  readonly artifacts?: string;
  readonly nodeImage?: string;
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** `PULLPROOF_SHARD=2/3` from the CI matrix. */
function shardFromEnv(value: string | undefined): { index: number; total: number } | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(value ?? '');
  return match ? { index: Number(match[1]), total: Number(match[2]) } : undefined;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the built-in scenarios and report which pods pulled which images (`make e2e` runs it at cluster depth)')
    .option('--depth <depth>', 'cluster: real kind clusters (kindest/node); node: the same cluster runner on a stand-in cluster (stand-in API server and kubelet, built locally); plugin: kubelet-exact runner + real registry and containerd, no cluster', 'cluster')
    .option('--k8s <minors>', 'comma-separated Kubernetes minors, run one after another', DEFAULT_MINOR)
    .option('--scenario <name...>', 'only these scenarios (default: all, or $PULLPROOF_SCENARIOS)')
    .option('--parallel <n>', 'scenarios run at once', '4')
    .option('--reuse', 'reuse a running cluster whose configuration matches (cluster depth)')
    .option('--keep', 'keep clusters and namespaces afterwards for debugging (cluster depth)')
    .option('--pod-timeout <seconds>', 'seconds a pod may take to reach a verdict before it is inconclusive', '180')
    .option('--node-image <ref>', 'kindest/node image to use instead of the pinned one, e.g. one restored with docker load (default: $PULLPROOF_NODE_IMAGE; one --k8s only)')
    .option(...ARTIFACTS_OPTION)
    .action(async (options: RunOptions) => {
      const depth = parseDepth(options.depth);
      const nodeImage = options.nodeImage ?? process.env.PULLPROOF_NODE_IMAGE;
      const minors = list(options.k8s);
      if (nodeImage && minors.length > 1) throw new Error(`--node-image ${nodeImage} names one image but --k8s lists ${minors.length} versions: run one version at a time`);
      const versions = minors.map((minor) => withNodeImage(kubernetesVersion(minor), nodeImage));
      const scenarios = selectScenarios(BUILT_IN_SCENARIOS, options.scenario?.length ? options.scenario.flatMap(list) : list(process.env.PULLPROOF_SCENARIOS));
      const runId = process.env.PULLPROOF_RUN_ID || newRunId();
      const shard = shardFromEnv(process.env.PULLPROOF_SHARD);
      logLine(`pullproof run ${runId}: ${scenarios.length} scenario(s) at ${depth} depth on Kubernetes ${versions.map((v) => v.minor).join(', ')}`);
      await runSuiteFromCli(
        {
          depth,
          versions,
          scenarios,
          runId,
          parallel: Number(options.parallel) || 4,
          podTimeoutMs: (Number(options.podTimeout) || 180) * 1000,
          ...(options.reuse ? { reuse: true } : {}),
          ...(options.keep ? { keep: true } : {}),
          ...(shard ? { shard } : {}),
        },
        options.artifacts,
        (results) => renderTerminalTable(results, { color: process.stdout.isTTY }),
      );
    });
}
