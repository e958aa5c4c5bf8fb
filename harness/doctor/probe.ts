import { access, constants, statfs } from 'node:fs/promises';
import { HOST_BUSYBOX } from '../../registry/images/busybox.ts';
import { execa } from 'execa';
import { parseDockerInfo } from './parse.ts';
import type { CommandOutcome, MachineFacts } from './facts.ts';
import type { KubernetesVersion } from '../cluster/versions.ts';

const PROBE_TIMEOUT_MS = 15_000;

/** Runs a command and records what happened; never throws (a missing tool is a fact, not an error). */
/** `docker manifest inspect <image>`: asks the registry for exactly the manifest a pull would fetch. */
export function registryProbeArgs(image: string): string[] {
  return ['manifest', 'inspect', image];
}

export async function outcomeOf(file: string, args: readonly string[], timeout = PROBE_TIMEOUT_MS): Promise<CommandOutcome> {
  try {
    const result = await execa(file, args, { reject: false, timeout, stdin: 'ignore' });
    if (result.failed && result.exitCode === undefined) {
      const notFound = (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
      return { exitCode: notFound ? undefined : -1, stdout: result.stdout, stderr: result.timedOut ? `timed out after ${timeout} ms` : (result.shortMessage ?? 'failed') };
    }
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    return { exitCode: undefined, stdout: '', stderr: error instanceof Error ? error.message : String(error) };
  }
}

async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const stats = await statfs(path);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** Gathers every fact doctor judges. Nothing is pulled or created. */
export async function gatherFacts(kubernetes: KubernetesVersion): Promise<MachineFacts> {
  const [dockerVersion, dockerInfo, kindVersion, kubectlVersion, nodeImageInspect, kindNetworkInspect] = await Promise.all([
    outcomeOf('docker', ['version', '--format', '{{json .}}']),
    outcomeOf('docker', ['info', '--format', '{{json .}}']),
    outcomeOf('kind', ['version']),
    outcomeOf('kubectl', ['version', '--client', '-o', 'json']),
    // The same presence test kind itself uses before deciding to pull.
    outcomeOf('docker', ['inspect', '--type=image', kubernetes.nodeImage]),
    outcomeOf('docker', ['network', 'inspect', 'kind']),
  ]);
  // The pinned manifest itself, from the registry's distribution API (the request a pull starts
  // with): not Docker Hub's search API, whose outages say nothing about pulls. Downloads no layers.
  const registryProbe =
    nodeImageInspect.exitCode !== 0 && dockerVersion.exitCode === 0
      ? await outcomeOf('docker', registryProbeArgs(kubernetes.nodeImage))
      : undefined;
  const dataRoot = parseDockerInfo(dockerInfo.stdout)?.dockerRootDir;
  return {
    nodeVersion: process.version,
    dockerVersion,
    dockerInfo,
    kindVersion,
    kubectlVersion,
    nodeImageInspect,
    registryProbe,
    kindNetworkInspect,
    freeDiskBytes: dataRoot ? await freeBytes(dataRoot) : undefined,
    freeDiskPath: dataRoot,
    busybox: { path: HOST_BUSYBOX, present: await access(HOST_BUSYBOX, constants.X_OK).then(() => true, () => false) },
  };
}
