import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { HARNESS_NODE_FLAGS, missingHarnessFlags } from '../../../bin/node-flags.mjs';

const LAUNCHER = join(import.meta.dirname, '..', '..', '..', 'bin', 'pullproof.mjs');

describe("the harness process's Node flags", () => {
  it('names the flags neither the command line nor NODE_OPTIONS sets, and lets a user value win', () => {
    expect(missingHarnessFlags([], '')).toEqual(HARNESS_NODE_FLAGS);
    expect(missingHarnessFlags(['--max-semi-space-size=32'], '')).toEqual([]);
    expect(missingHarnessFlags([], '--max_semi_space_size=4 --enable-source-maps')).toEqual([]);
    expect(missingHarnessFlags(['--max-old-space-size=512'])).toEqual(HARNESS_NODE_FLAGS);
  });

  it('are applied by the launcher to its own process: same pid, the flags in execArgv', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-node-flags-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    // Preloaded into both the first and the re-executed process (NODE_OPTIONS survives execve).
    const preload = join(dir, 'record.cjs');
    const log = join(dir, 'starts.jsonl');
    writeFileSync(preload, `require('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify({ pid: process.pid, execArgv: process.execArgv }) + '\\n');\n`);
    execFileSync(process.execPath, [LAUNCHER, '--help'], { env: { ...process.env, NODE_OPTIONS: `--require=${preload}` }, stdio: 'ignore' });
    const starts = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { pid: number; execArgv: string[] });
    expect(starts).toHaveLength(2);
    expect(starts[1]?.pid).toBe(starts[0]?.pid);
    expect(starts[0]?.execArgv).not.toContain(HARNESS_NODE_FLAGS[0]);
    expect(starts[1]?.execArgv).toEqual(expect.arrayContaining([...HARNESS_NODE_FLAGS]));
  });
});
