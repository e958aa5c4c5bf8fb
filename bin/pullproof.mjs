#!/usr/bin/env node
// Launcher for `npx pullproof`. Written in plain JavaScript so that an old system Node can still
// run it: the CLI itself is TypeScript executed by Node >= 22's type stripping. When this Node is
// too old, re-run under the project's own toolchain (.toolchain/, made by scripts/ensure-node.sh).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HARNESS_NODE_FLAGS, missingHarnessFlags } from './node-flags.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIN_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);

if (major < MIN_MAJOR) {
  const toolchain = join(root, '.toolchain');
  const candidate = existsSync(toolchain)
    ? readdirSync(toolchain).map((d) => join(toolchain, d, 'bin', 'node')).find((p) => existsSync(p))
    : undefined;
  if (!candidate) {
    process.stderr.write(
      `pullproof needs Node >= ${MIN_MAJOR} (this is ${process.version}). ` +
        `Run \`make setup\` (fetches Node 24 from the npm registry into .toolchain/) or install Node ${MIN_MAJOR}+.\n`,
    );
    process.exit(1);
  }
  const res = spawnSync(candidate, [...HARNESS_NODE_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(res.status ?? 1);
}

// The harness's own Node flags (node-flags.mjs says why): this process becomes `node <flags> <this
// file> …` in place, same pid, so signals and exit codes are untouched. process.execve needs Node
// 23.11; an older Node runs without them.
const missing = missingHarnessFlags(process.execArgv, process.env.NODE_OPTIONS);
if (missing.length > 0 && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...missing, fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}

await import(pathToFileURL(join(root, 'harness', 'cli', 'main.ts')).href);
