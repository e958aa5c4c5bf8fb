import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { describeWithDocker } from '../../support/docker.ts';

const cli = join(import.meta.dirname, '..', '..', '..', 'bin', 'pullproof.mjs');

describeWithDocker('pullproof sweep (plugin depth)', () => {
  it('shows a scenario as not applicable before its minimum version and checked from it on', async () => {
    const artifacts = await mkdtemp(join(tmpdir(), 'pullproof-sweep-'));
    try {
      const run = await execa('node', [cli, 'sweep', '--scenario', 'passthrough-needs-token-cache', '--k8s', '1.33,1.34', '--depth', 'plugin', '--artifacts', artifacts], { reject: false, env: { TESTCONTAINERS_RYUK_DISABLED: 'true' } });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^POD\s+EXPECTED\s+1\.33 \(plugin\)\s+1\.34 \(plugin\)$/m);
      expect(run.stdout).toMatch(/^echoed-token\s+denied .*\s+not-applicable\s+denied \(ErrImagePull\): match$/m);
    } finally {
      await rm(artifacts, { recursive: true, force: true });
    }
  }, 120_000);
});
