import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, expect, it } from 'vitest';
import { ensureStandinNodeImage } from '../../../harness/cluster/standin-image.ts';
import type { RunResults } from '../../../harness/results/model.ts';
import { describeWithDocker } from '../../support/docker.ts';

const cli = join(import.meta.dirname, '..', '..', '..', 'bin', 'pullproof.mjs');

/** The user's shell: none of the Makefile's variables (no TESTCONTAINERS_RYUK_DISABLED). */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TESTCONTAINERS_RYUK_DISABLED;
  return env;
}

describeWithDocker('pullproof run --depth cluster pointed at a stand-in node image, typed in a plain shell', () => {
  let image = '';
  beforeAll(async () => {
    image = await ensureStandinNodeImage();
  }, 600_000);

  it('runs the cluster runner on the stand-in cluster, reports node depth, and needs no Ryuk', async () => {
    const artifacts = await mkdtemp(join(tmpdir(), 'pullproof-cli-standin-'));
    try {
      const run = await execa('node', [cli, 'run', '--depth', 'cluster', '--node-image', image, '--k8s', '1.34', '--scenario', 'granted-sa-pulls', '--artifacts', artifacts], { reject: false, env: plainEnv(), extendEnv: false });
      expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stderr).not.toMatch(/ryuk/i);
      expect(run.stdout).toContain('Kubernetes 1.34 · node depth');
      const [runDir] = await readdir(artifacts);
      const results = JSON.parse(await readFile(join(artifacts, runDir ?? '', 'results.json'), 'utf8')) as RunResults;
      expect(results.versions[0]?.depth).toBe('node');
      expect(results.versions[0]?.environment.nodeImage).toBe(image);
      expect(results.versions[0]?.scenarios[0]?.pods.map((p) => [p.pod, p.outcome])).toEqual([['granted', 'match'], ['default-sa', 'match']]);
    } finally {
      await rm(artifacts, { recursive: true, force: true });
    }
  }, 300_000);
});
