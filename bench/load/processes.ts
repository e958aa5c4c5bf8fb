import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadPlan, LoadResult } from './client.ts';
import type { ServeConfig } from './serve.ts';

/** Child processes of the token-service bench: the servers under test and the load client. */

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
  stop(): Promise<void>;
}

/** proc(5) stat: utime and stime are fields 14 and 15, in clock ticks (USER_HZ = 100 on Linux). */
function cpuOf(statFile: string): number {
  const fields = readFileSync(statFile, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startServer(kind: ServerKind, config: ServeConfig, nodeFlags: readonly string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeFlags, SERVE, kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin?.end(JSON.stringify(config));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`bench server ${kind} exited with ${String(code)} before listening`)));
  });
  const pid = child.pid ?? 0;
  return {
    kind,
    pid,
    port,
    cpuSeconds: () => ({ all: cpuOf(`/proc/${pid}/stat`), main: cpuOf(`/proc/${pid}/task/${pid}/stat`) }),
    rssMiB: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

export async function runClient(plan: LoadPlan): Promise<LoadResult> {
  const child = spawn(process.execPath, [CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin?.end(JSON.stringify(plan)); // the plan carries the Authorization header: stdin, not argv
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load client exited with ${String(code)}`);
  return JSON.parse(out) as LoadResult;
}
