import { build } from 'esbuild';
import { execa } from 'execa';
import { HostCommandError } from './errors.ts';
import { NODE_PATHS } from './node-paths.ts';

/**
 * Node depth (DESIGN.md §8b): the kubelet-exact conformance runner executed inside a kind node,
 * where kubelet would run — against the node's mounted CredentialProviderConfig and bin dir, with
 * the Node runtime the provider bundle ships, resolving the registry through the node's network
 * and pulling through the node's containerd.
 */

const ENTRY = new URL('./node-runner-entry.ts', import.meta.url).pathname;
const IN_NODE_PATH = '/kind/pullproof-conformance.mjs';

/** The runner as one ESM file (no node_modules needed in the node). */
export async function bundleNodeRunner(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node22', write: false, legalComments: 'none',
    // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __pullproofRequire } from 'node:module'; const require = __pullproofRequire(import.meta.url);" },
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output for the node runner');
  return file.text;
}

/** Copies the bundled runner into a node (once per node). */
export async function installNodeRunner(node: string, bundle: string): Promise<void> {
  const r = await execa('docker', ['exec', '-i', node, 'cp', '/dev/stdin', IN_NODE_PATH], { input: bundle, reject: false, all: true });
  if (r.exitCode !== 0) throw new HostCommandError(`docker exec ${node} cp /dev/stdin ${IN_NODE_PATH}`, r.exitCode, r.all, `is node ${node} running?`);
}

export interface InNodeRun {
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `pullproof conformance <args>` inside the node, with `--config` and `--bin-dir` fixed to the
 * paths kubelet is configured with there. Exit codes are the CLI's (0 pulled, 3 denied, 4 config refused).
 */
export async function runConformanceInNode(node: string, args: readonly string[]): Promise<InNodeRun> {
  const nodeBinary = `${NODE_PATHS.providerBundle}/runtime/node`;
  const r = await execa('docker', [
    'exec', '-e', `LD_LIBRARY_PATH=${NODE_PATHS.providerBundle}/runtime/lib`, node, nodeBinary, IN_NODE_PATH, 'conformance',
    '--config', NODE_PATHS.providerConfig, '--bin-dir', NODE_PATHS.providerBinDir, ...args,
  ], { reject: false });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
