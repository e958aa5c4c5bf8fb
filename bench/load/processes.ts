import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadPlan, LoadResult } from './client.ts';
import type { ServeConfig } from './serve.ts';
import { HARNESS_NODE_FLAGS } from '../../bin/node-flags.mjs';

/**
 * Child processes of the token-service bench: the servers under test and the load client. Servers
 * run with the harness's own Node flags (bin/node-flags.mjs): the token service lives in the
 * pullproof process, so that is the process its figures describe.
 */

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));
const CLIENT = fileURLToPath(new URL('./client.ts', import.meta.url));

export type ServerKind = 'token-service' | 'floor';

export interface ServerProcess {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly port: number;
  /** Resident set size, read from /proc (outside the process), MiB. */
  rssMiB(): number;
  /** CPU time (user + system) so far, from /proc, seconds: all threads, and the main (JS) thread alone. */
  cpuSeconds(): { all: number; main: number };
  /** What the process says its memory is made of (serve.ts answers SIGUSR2), bytes. */
  memory(): Promise<ServerMemory>;
  stop(): Promise<void>;
}

export interface ServerMemory {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** V8 heap spaces (new_space, old_space, …): reserved size and used bytes. */
  readonly spaces: Record<string, { readonly size: number; readonly used: number }>;
}

/** proc(5) stat: utime and stime are fields 14 and 15, in clock ticks (USER_HZ = 100 on Linux). */
function cpuOf(statFile: string): number {
  const fields = readFileSync(statFile, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Server on CPU 0, load client on CPU 1 (taskset, when there are two CPUs or more): every thread of a
 * server (JS, GC helpers, libuv) competes only with itself, and never with the client, so its
 * grants/s follow its own CPU cost per grant instead of how the scheduler shared two cores.
 */
const PINNING = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pinned = (cpu: number, argv: readonly string[]): [string, string[]] => (PINNING ? ['taskset', ['-c', String(cpu), ...argv]] : [argv[0] ?? '', argv.slice(1)]);
export const CPU_PINNING = PINNING ? 'servers pinned to CPU 0, load client to CPU 1 (taskset)' : 'no CPU pinning (one CPU, or no taskset)';

export async function startServer(kind: ServerKind, config: ServeConfig, nodeFlags: readonly string[] = []): Promise<ServerProcess> {
  const child = spawn(...pinned(0, [process.execPath, ...HARNESS_NODE_FLAGS, ...nodeFlags, SERVE, kind]), { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin?.end(JSON.stringify(config));
  // stdout is JSON lines: first {"port"}, then one {"memory"} per SIGUSR2.
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    let newline: number;
    while ((newline = out.indexOf('\n')) !== -1) {
      const line = out.slice(0, newline);
      out = out.slice(newline + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const nextLine = (): Promise<string> => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      waiting.push(resolve);
      child.once('exit', (code) => reject(new Error(`bench server ${kind} exited with ${String(code)}`)));
    });
  };
  const port = (JSON.parse(await nextLine()) as { port: number }).port;
  const pid = child.pid ?? 0;
  return {
    kind,
    pid,
    port,
    cpuSeconds: () => ({ all: cpuOf(`/proc/${pid}/stat`), main: cpuOf(`/proc/${pid}/task/${pid}/stat`) }),
    rssMiB: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024,
    async memory() {
      child.kill('SIGUSR2');
      return (JSON.parse(await nextLine()) as { memory: ServerMemory }).memory;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

export async function runClient(plan: LoadPlan): Promise<LoadResult> {
  const child = spawn(...pinned(1, [process.execPath, CLIENT]), { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin?.end(JSON.stringify(plan)); // the plan carries the Authorization header: stdin, not argv
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load client exited with ${String(code)}`);
  return JSON.parse(out) as LoadResult;
}
