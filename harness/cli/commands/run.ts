import { resolve } from 'node:path';
import type { Command } from 'commander';
import { abortOnInterrupt } from '../../cluster/interrupt.ts';
import { DEFAULT_MINOR, kubernetesVersion, withNodeImage } from '../../cluster/versions.ts';
import { ARTIFACTS_OPTION, artifactsRoot, runArtifactPaths, writeRunArtifacts } from '../../report/artifacts.ts';
import { renderTerminalTable } from '../../report/terminal-table.ts';
import { runFailed, type Depth } from '../../results/model.ts';
import { newRunId } from '../../runner/instantiate.ts';
import { runSuite, selectScenarios } from '../../runner/suite.ts';
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
    .option('--depth <depth>', 'cluster: real kind clusters (needs kindest/node); node: real kind with a stand-in node, runner inside it; plugin: kubelet-exact runner + real registry and containerd, no cluster', 'cluster')
    .option('--k8s <minors>', 'comma-separated Kubernetes minors, run one after another', DEFAULT_MINOR)
    .option('--scenario <name...>', 'only these scenarios (default: all, or $PULLPROOF_SCENARIOS)')
    .option('--parallel <n>', 'scenarios run at once', '4')
    .option('--reuse', 'reuse a running cluster whose configuration matches (cluster depth)')
    .option('--keep', 'keep clusters and namespaces afterwards for debugging (cluster depth)')
    .option('--pod-timeout <seconds>', 'seconds a pod may take to reach a verdict before it is inconclusive', '180')
    .option('--node-image <ref>', 'kindest/node image to use instead of the pinned one, e.g. one restored with docker load (default: $PULLPROOF_NODE_IMAGE; one --k8s only)')
    .option(...ARTIFACTS_OPTION)
    .action(async (options: RunOptions) => {
      if (!['cluster', 'node', 'plugin'].includes(options.depth)) throw new Error(`--depth ${options.depth}: use cluster, node or plugin`);
      const nodeImage = options.nodeImage ?? process.env.PULLPROOF_NODE_IMAGE;
      const minors = list(options.k8s);
      if (nodeImage && minors.length > 1) throw new Error(`--node-image ${nodeImage} names one image but --k8s lists ${minors.length} versions: run one version at a time`);
      const versions = minors.map((minor) => withNodeImage(kubernetesVersion(minor), nodeImage));
      const scenarios = selectScenarios(BUILT_IN_SCENARIOS, options.scenario?.length ? options.scenario.flatMap(list) : list(process.env.PULLPROOF_SCENARIOS));
      const runId = process.env.PULLPROOF_RUN_ID || newRunId();
      const root = artifactsRoot(options.artifacts);
      const paths = runArtifactPaths(root, runId);
      const shard = shardFromEnv(process.env.PULLPROOF_SHARD);
      const interrupt = abortOnInterrupt();
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      log(`pullproof run ${runId}: ${scenarios.length} scenario(s) at ${options.depth} depth on Kubernetes ${versions.map((v) => v.minor).join(', ')}`);
      try {
        const results = await runSuite({
          depth: options.depth as Depth,
          versions,
          scenarios,
          runId,
          artifactsDir: resolve(paths.dir),
          parallel: Number(options.parallel) || 4,
          podTimeoutMs: (Number(options.podTimeout) || 180) * 1000,
          ...(options.reuse ? { reuse: true } : {}),
          ...(options.keep ? { keep: true } : {}),
          ...(shard ? { shard } : {}),
          signal: interrupt.signal,
          log,
        });
        const written = await writeRunArtifacts(results, { root });
        process.stdout.write(renderTerminalTable(results, { color: process.stdout.isTTY }));
        log(`artifacts: ${written.dir} (results.json, junit.xml, report.html)`);
        process.exitCode = runFailed(results) ? 1 : 0;
      } finally {
        interrupt.dispose();
      }
    });
}
