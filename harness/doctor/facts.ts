/**
 * The raw facts doctor gathers from the machine, before any judgement. Gathering (probe.ts) is the
 * only part that runs commands; judging (checks.ts) is pure and tested with the outputs of probe.ts's
 * commands recorded by scripts/record-doctor-outputs.ts (test/unit/doctor/recorded/, MANIFEST.json).
 */
export interface CommandOutcome {
  /** Exit code; undefined when the command could not be started (not installed). */
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface MachineFacts {
  readonly nodeVersion: string;
  readonly dockerVersion: CommandOutcome;
  readonly dockerInfo: CommandOutcome;
  readonly kindVersion: CommandOutcome;
  readonly kubectlVersion: CommandOutcome;
  readonly nodeImageInspect: CommandOutcome;
  /** `docker manifest inspect <pinned image>`: the registry answers for the exact manifest a pull would fetch. */
  readonly registryProbe: CommandOutcome | undefined;
  readonly kindNetworkInspect: CommandOutcome;
  /** Free bytes on the filesystem holding Docker's data root; undefined when unknown. */
  readonly freeDiskBytes: number | undefined;
  readonly freeDiskPath: string | undefined;
  /** The static busybox the private test images are built from; undefined when absent. */
  readonly busybox: { readonly path: string; readonly present: boolean };
}
