import type { Command } from 'commander';
import { DEFAULT_MINOR, kubernetesVersion, withNodeImage, type KubernetesVersion } from '../../cluster/versions.ts';
import { ARTIFACTS_OPTION } from '../../report/artifacts.ts';
import { renderTerminalTable } from '../../report/terminal-table.ts';
import { newRunId } from '../../runner/instantiate.ts';
import { versionFromNodeImage } from '../../runner/node-image-release.ts';
import { chooseScenarios } from '../scenario-choice.ts';
import { logLine, parseDepth, runSuiteFromCli } from '../suite-run.ts';

interface RunOptions {
  readonly depth: string;
  readonly k8s?: string;
  readonly scenario?: string[];
  readonly parallel: string;
  readonly reuse?: boolean;
  readonly keep?: boolean;
  readonly podTimeout: string;
  readonly artifacts?: string;
  readonly nodeImage?: string;
  readonly plugin?: string;
  readonly pluginConfig?: string;
  readonly withBuiltIn?: boolean;
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** `PULLPROOF_SHARD=2/3` from the CI matrix. */
function shardFromEnv(value: string | undefined): { index: number; total: number } | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(value ?? '');
  return match ? { index: Number(match[1]), total: Number(match[2]) } : undefined;
}

/**
 * The versions to run. `--node-image` without `--k8s` reads the release from the image's
 * /kind/version and applies the newest known minor at or below it (a kubelet built from a tree).
 */
async function chooseVersions(k8s: string | undefined, nodeImage: string | undefined): Promise<{ versions: KubernetesVersion[]; release?: string }> {
  if (nodeImage && k8s === undefined) {
    const { version, release } = await versionFromNodeImage(nodeImage);
    logLine(`node image ${nodeImage} carries Kubernetes ${release}: applying the rules of ${version.minor}, the newest minor pullproof knows at or below it`);
    return { versions: [version], release };
  }
  const minors = list(k8s ?? DEFAULT_MINOR);
  if (nodeImage && minors.length > 1) throw new Error(`--node-image ${nodeImage} names one image but --k8s lists ${minors.length} versions: run one version at a time`);
  return { versions: minors.map((minor) => withNodeImage(kubernetesVersion(minor), nodeImage)) };
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run scenarios — the built-in suite, or scenario files and directories of your own — and report which pods pulled which images (`make e2e` runs it at cluster depth)')
    .argument('[paths...]', 'scenario files (.ts, .js) or directories of them, instead of the built-in suite')
    .option('--with-built-in', 'run the built-in suite as well as the scenario files named')
    .option('--depth <depth>', 'cluster: real kind clusters (kindest/node); node: the same cluster runner on a stand-in cluster (stand-in API server and kubelet, built locally); plugin: kubelet-exact runner + real registry and containerd, no cluster', 'cluster')
    .option('--k8s <minors>', `comma-separated Kubernetes minors, run one after another (default ${DEFAULT_MINOR}, or the release in --node-image's /kind/version)`)
    .option('--scenario <name...>', 'only these scenarios (default: all, or $PULLPROOF_SCENARIOS)')
    .option('--parallel <n>', 'scenarios run at once', '4')
    .option('--reuse', 'reuse a running cluster whose configuration matches (cluster depth)')
    .option('--keep', 'keep clusters and namespaces afterwards for debugging (cluster depth)')
    .option('--pod-timeout <seconds>', 'seconds a pod may take to reach a verdict before it is inconclusive', '180')
    .option('--node-image <ref>', 'node image instead of the pinned one: one restored with docker load, or your own `kind build node-image` (alone, its /kind/version picks the rules) (default: $PULLPROOF_NODE_IMAGE)')
    .option('--plugin <executable>', 'run the scenarios against this credential provider plugin instead of pullproof\'s (it must also run inside kind nodes)')
    .option('--plugin-config <yaml>', 'the plugin\'s provider entry fields (args, env, defaultCacheDuration, apiVersion); {mode}, {exchangeUrl}, {roleAnnotation}, {audience} are filled per scenario')
    .option(...ARTIFACTS_OPTION)
    .action(async (paths: string[], options: RunOptions) => {
      const depth = parseDepth(options.depth);
      if (options.pluginConfig && !options.plugin) throw new Error('--plugin-config needs --plugin <executable>');
      const nodeImage = options.nodeImage ?? (process.env.PULLPROOF_NODE_IMAGE || undefined);
      const { versions, release } = await chooseVersions(options.k8s, nodeImage);
      const names = options.scenario?.length ? options.scenario.flatMap(list) : list(process.env.PULLPROOF_SCENARIOS);
      const choice = await chooseScenarios(paths, { withBuiltIn: options.withBuiltIn, names });
      const runId = process.env.PULLPROOF_RUN_ID || newRunId();
      const shard = shardFromEnv(process.env.PULLPROOF_SHARD);
      logLine(`pullproof run ${runId}: ${choice.scenarios.length} scenario(s) at ${depth} depth on Kubernetes ${versions.map((v) => v.minor).join(', ')}${options.plugin ? ` against plugin ${options.plugin}` : ''}`);
      await runSuiteFromCli(
        {
          depth,
          versions,
          scenarios: choice.scenarios,
          sources: choice.sources,
          scenarioErrors: choice.errors,
          runId,
          parallel: Number(options.parallel) || 4,
          podTimeoutMs: (Number(options.podTimeout) || 180) * 1000,
          reuse: options.reuse,
          keep: options.keep,
          shard,
          nodeImage,
          release,
          plugin: options.plugin ? { executable: options.plugin, entry: options.pluginConfig } : undefined,
          pluginArgs: options.plugin ? { plugin: options.plugin, pluginConfig: options.pluginConfig } : undefined,
        },
        options.artifacts,
        (results) => renderTerminalTable(results, { color: process.stdout.isTTY }),
      );
    });
}
