import { execa } from 'execa';
import { HostCommandError } from './errors.ts';

/**
 * Runs a host command (docker, kind) in its own process group. On abort the whole group gets
 * SIGTERM, then SIGKILL: kind exits on a signal without waiting for the `docker run`/`docker logs -f`
 * children it started, so killing only kind would leave them creating containers after cleanup.
 */
export interface RunResult {
  readonly exitCode: number | undefined;
  readonly output: string;
}

export async function runGroup(file: string, args: readonly string[], options: { signal?: AbortSignal; input?: string } = {}): Promise<RunResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const child = execa(file, args, { reject: false, all: true, detached: true, ...(options.input !== undefined ? { input: options.input } : {}) });
  const killGroup = (sig: NodeJS.Signals) => {
    try { if (child.pid) process.kill(-child.pid, sig); } catch { /* group already gone */ }
  };
  let hardKill: NodeJS.Timeout | undefined;
  const onAbort = () => {
    killGroup('SIGTERM');
    hardKill = setTimeout(() => killGroup('SIGKILL'), 3000);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await child;
    // Children that ignored SIGTERM (docker CLI waiting on the daemon) must not outlive the abort.
    if (signal?.aborted) killGroup('SIGKILL');
    return { exitCode: result.exitCode, output: result.all };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (hardKill) clearTimeout(hardKill);
  }
}

/** Runs to completion (no abort) and throws HostCommandError with `hint` on a non-zero exit. */
export async function runChecked(file: string, args: readonly string[], hint: string, input?: string): Promise<string> {
  const result = await execa(file, args, { reject: false, all: true, ...(input !== undefined ? { input } : {}) });
  if (result.exitCode !== 0) throw new HostCommandError(`${file} ${args.join(' ')}`, result.exitCode, result.all, hint);
  return result.stdout;
}
