import { resolve } from 'node:path';
import { abortOnInterrupt } from '../cluster/interrupt.ts';
import { artifactsRoot, runArtifactPaths, writeRunArtifacts } from '../report/artifacts.ts';
import { runFailed, type Depth, type RunResults } from '../results/model.ts';
import { runSuite, type SuiteOptions } from '../runner/suite.ts';

/** What `run` and `sweep` share: --depth checking, Ctrl-C, the suite, artifacts and the exit code. */

const DEPTHS: readonly Depth[] = ['cluster', 'node', 'plugin'];

export function parseDepth(value: string): Depth {
  if (!(DEPTHS as readonly string[]).includes(value)) throw new Error(`--depth ${value}: use cluster, node or plugin`);
  return value as Depth;
}

export function logLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Runs the suite with Ctrl-C wired to its abort signal, writes artifacts/<run-id>/, prints what
 * `render` makes of the results, and sets the exit code: 1 on any mismatch or inconclusive pod.
 */
export async function runSuiteFromCli(
  suite: Omit<SuiteOptions, 'artifactsDir' | 'signal' | 'log'>,
  artifactsOption: string | undefined,
  render: (results: RunResults) => string,
): Promise<void> {
  const root = artifactsRoot(artifactsOption);
  const interrupt = abortOnInterrupt();
  try {
    const results = await runSuite({ ...suite, artifactsDir: resolve(runArtifactPaths(root, suite.runId).dir), signal: interrupt.signal, log: logLine });
    const written = await writeRunArtifacts(results, { root });
    process.stdout.write(render(results));
    logLine(`artifacts: ${written.dir} (results.json, junit.xml, report.html)`);
    process.exitCode = runFailed(results) ? 1 : 0;
  } finally {
    interrupt.dispose();
  }
}
