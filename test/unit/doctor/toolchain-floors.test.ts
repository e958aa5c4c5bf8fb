import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { checkNode } from '../../../harness/doctor/checks.ts';
import { NODE_FLOOR, nodeFloor } from '../../../harness/doctor/node-floor.ts';
import { KUBERNETES_VERSIONS } from '../../../harness/cluster/versions.ts';
import { compareVersions } from '../../../harness/doctor/parse.ts';

/**
 * The Node floor is written once (package.json engines.node) and read by scripts/ensure-node.sh and
 * doctor; the kind floor once (harness/cluster/versions.ts minKind) and checked by .ci/host-setup.sh
 * on the kind it installed. Both scripts are run here with fake `node`/`kind` binaries on PATH.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const bins = mkdtempSync(join(tmpdir(), 'pullproof-fake-bins-'));
afterAll(() => rmSync(bins, { recursive: true, force: true }));

/** A directory holding one fake executable `name` that prints `output` and exits 0. */
function fake(name: string, script: string): string {
  const dir = mkdtempSync(join(bins, `${name}-`));
  writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(dir, name), 0o755);
  return dir;
}
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

describe('Node floor: one place, package.json engines.node', () => {
  it('is 22.18.0, the first Node 22 that runs .ts files without a flag', () => {
    expect(NODE_FLOOR).toBe('22.18.0');
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node).toBe(`>=${NODE_FLOOR}`);
  });

  it('refuses an engines.node doctor and ensure-node.sh could not both read', () => {
    expect(nodeFloor('{"engines":{"node":">=1.2.3"}}')).toBe('1.2.3');
    for (const range of ['^22.18.0', '>=22', '>= 22.18.0', '22.18.0']) expect(() => nodeFloor(JSON.stringify({ engines: { node: range } }))).toThrow(/write it as ">=X\.Y\.Z"/);
    expect(() => nodeFloor('{}')).toThrow(/engines.node is undefined/);
  });

  it('doctor fails a Node below the floor, naming it, and passes the floor and above', () => {
    expect(checkNode('v22.17.1')).toMatchObject({ status: 'fail', summary: 'Node v22.17.1 is older than 22.18.0 (package.json engines.node; 22.18.0 runs .ts files without a flag)' });
    expect(checkNode('v22.17.1').remedy).toContain('install Node 22.18.0 or newer');
    expect(checkNode('v20.20.2').status).toBe('fail');
    for (const ok of ['v22.18.0', 'v22.20.1', 'v24.0.0']) expect(checkNode(ok).status, ok).toBe('pass');
  });

  it('ensure-node.sh takes a node on PATH at the floor, and refuses one just below it', async () => {
    const atFloor = fake('node', `echo ${NODE_FLOOR}`);
    const run = await execa('bash', [join(ROOT, 'scripts', 'ensure-node.sh')], { env: { PATH: `${atFloor}:${SYSTEM_PATH}` }, extendEnv: false });
    expect(run.stdout).toBe(atFloor);
    // Below the floor it must not print that node's directory (it fetches or reuses .toolchain/ instead;
    // with no npm on PATH and no .toolchain it stops, saying so).
    const below = fake('node', 'echo 22.17.99');
    const refused = await execa('bash', [join(ROOT, 'scripts', 'ensure-node.sh')], { env: { PATH: `${below}:${SYSTEM_PATH}` }, extendEnv: false, reject: false });
    expect(refused.stdout).not.toBe(below);
  });

  it('ensure-node.sh pins a Node at or above the floor for .toolchain/', () => {
    const pinned = /^version=(\d+\.\d+\.\d+)/m.exec(readFileSync(join(ROOT, 'scripts', 'ensure-node.sh'), 'utf8'))?.[1] ?? '';
    expect(compareVersions(pinned, NODE_FLOOR)).toBeGreaterThanOrEqual(0);
  });

  it('the README states the same floor', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node ≥ ${NODE_FLOOR}`);
  });
});

describe('kind floor: .ci/host-setup.sh checks the kind it installed', () => {
  const floor = Object.values(KUBERNETES_VERSIONS).map((v) => v.minKind).sort(compareVersions).at(-1) ?? '';
  const check = (kindOutput: string) =>
    execa('bash', [join(ROOT, '.ci', 'host-setup.sh'), '--check-kind'], { env: { PATH: `${fake('kind', `echo '${kindOutput}'`)}:${SYSTEM_PATH}` }, extendEnv: false, reject: false });

  it('accepts the floor from harness/cluster/versions.ts and newer', async () => {
    expect(floor).toBe('v0.32.0');
    for (const version of [floor, 'v0.33.0', 'v0.40.1']) {
      const run = await check(`kind ${version} go1.25.0 linux/amd64`);
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.stdout).toBe(`[host-setup] kind ${version} (>= ${floor})`);
    }
  });

  it('stops on an older kind, or one that prints no version, saying what to do', async () => {
    const old = await check('kind v0.31.0 go1.24.0 linux/amd64');
    expect(old.exitCode).toBe(1);
    expect(old.stdout).toContain(`kind v0.31.0 is older than ${floor}`);
    expect(old.stdout).toContain('install the release binary');
    const garbled = await check('something else');
    expect(garbled.exitCode).toBe(1);
    expect(garbled.stdout).toContain('printed no version');
  });
});
