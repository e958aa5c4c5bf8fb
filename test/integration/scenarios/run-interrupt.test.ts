import { execa } from 'execa';
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describeWithDocker } from '../../support/docker.ts';

const cli = join(import.meta.dirname, '..', '..', '..', 'bin', 'pullproof.mjs');

async function registryContainers(): Promise<string[]> {
  const ps = await execa('docker', ['ps', '-a', '--filter', 'name=pullproof-registry', '--format', '{{.Names}}']);
  return ps.stdout.split('\n').filter(Boolean).sort();
}

describeWithDocker('Ctrl-C during pullproof run', () => {
  it('stops the run and removes the registry container it started', async () => {
    const before = await registryContainers();
    const artifacts = await mkdtemp(join(tmpdir(), 'pullproof-interrupt-'));
    try {
      const child = execa('node', [cli, 'run', '--depth', 'plugin', '--k8s', '1.34', '--parallel', '1', '--artifacts', artifacts], { reject: false, env: { TESTCONTAINERS_RYUK_DISABLED: 'true' } });
      // Interrupt once the registry is up and scenarios have started.
      await new Promise<void>((resolve) => {
        child.stderr?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('plugin depth, Kubernetes 1.34')) resolve();
        });
      });
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain('SIGINT: stopping and removing what was created');
      expect(await registryContainers()).toEqual(before);
    } finally {
      await rm(artifacts, { recursive: true, force: true });
    }
  }, 120_000);
});
