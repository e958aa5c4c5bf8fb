import type { Depth, RunResults } from './model.ts';

/**
 * One command per failing row that reruns exactly that scenario on that Kubernetes version, depth
 * and node image, so a red CI job is reproduced on a laptop by copy-paste. Pure.
 */

export interface RerunContext {
  /** Scenario name → the file it came from as the user named it (absent for the built-in suite). */
  readonly sources: ReadonlyMap<string, string>;
  /** A node image the user chose (--node-image); node depth without one uses the locally built stand-in. */
  readonly nodeImage?: string;
  /** The version was read from the node image (--node-image alone): --k8s would contradict it. */
  readonly versionFromImage?: boolean;
  readonly plugin?: string;
  readonly pluginConfig?: string;
  /** How the user invokes pullproof. */
  readonly invocation?: string;
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting: bare when safe, else single quotes with `'\''` for embedded quotes. */
export function shellQuote(word: string): string {
  return SAFE.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function rerunCommand(row: { scenario: string; depth: Depth; kubernetes: string }, context: RerunContext): string {
  const source = context.sources.get(row.scenario);
  const words = [
    ...(context.invocation ?? 'npx pullproof').split(' '),
    'run',
    ...(source ? [source] : []),
    '--depth', row.depth,
    ...(context.versionFromImage ? [] : ['--k8s', row.kubernetes]),
    '--scenario', row.scenario,
    ...(context.nodeImage ? ['--node-image', context.nodeImage] : []),
    ...(context.plugin ? ['--plugin', context.plugin] : []),
    ...(context.pluginConfig ? ['--plugin-config', context.pluginConfig] : []),
  ];
  return words.map((w, i) => (i < 2 ? w : shellQuote(w))).join(' ');
}

/** Adds `rerun` to every mismatch or inconclusive pod. */
export function withRerunCommands(results: RunResults, context: RerunContext): RunResults {
  return {
    ...results,
    versions: results.versions.map((version) => ({
      ...version,
      scenarios: version.scenarios.map((scenario) => {
        const rerun = rerunCommand({ scenario: scenario.name, depth: version.depth, kubernetes: version.kubernetes }, context);
        const failing = (outcome: string): boolean => outcome === 'mismatch' || outcome === 'inconclusive';
        return {
          ...scenario,
          pods: scenario.pods.map((pod) => (failing(pod.outcome) ? { ...pod, rerun } : pod)),
          ...(scenario.steps ? { steps: scenario.steps.map((step) => (step.outcome === 'failed' ? { ...step, rerun } : step)) } : {}),
        };
      }),
    })),
  };
}
