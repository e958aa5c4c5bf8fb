import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { describeWithDocker } from '../../support/docker.ts';

const cli = join(import.meta.dirname, '..', '..', '..', 'bin', 'pullproof.mjs');

interface JsonReport {
  ok: boolean;
  kubernetes: { minor: string; nodeImage: string };
  checks: { id: string; status: string; summary: string; remedy?: string }[];
}

describeWithDocker('pullproof doctor (real machine)', () => {
  it('prints every check as JSON and names the node image of the requested minor', async () => {
    const result = await execa('node', [cli, 'doctor', '--json', '--k8s', '1.34'], { reject: false });
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.kubernetes.nodeImage).toMatch(/^kindest\/node:v1\.34\.\d+@sha256:[0-9a-f]{64}$/);
    expect(report.checks.map((c) => c.id)).toEqual(['node', 'docker-engine', 'cgroups', 'kind', 'kubectl', 'node-image', 'disk', 'kind-network', 'test-image']);
    expect(report.checks.find((c) => c.id === 'docker-engine')?.status).toBe('pass');
    // Exit code and `ok` agree: 0 only when e2e could run.
    expect(result.exitCode).toBe(report.ok ? 0 : 1);
  });

  it('fails with a remedy when the Docker engine cannot be reached', async () => {
    const result = await execa('node', [cli, 'doctor'], { reject: false, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL Docker engine: engine not reachable/);
    expect(result.stdout).toMatch(/→ start the Docker engine/);
    expect(result.stdout).toContain("not ready");
  });

  it('checks the node image given with --node-image (an image restored with docker load has no digest)', async () => {
    const tag = `pullproof-doctor-test/node:${process.pid}`;
    await execa('docker', ['import', '-', tag], { input: Buffer.alloc(1024) }); // an empty tar archive is 1 KiB of zeros
    try {
      const result = await execa('node', [cli, 'doctor', '--json', '--k8s', '1.34', '--node-image', tag], { reject: false });
      const report = JSON.parse(result.stdout) as JsonReport;
      expect(report.kubernetes.nodeImage).toBe(tag);
      expect(report.checks.find((c) => c.id === 'node-image')).toMatchObject({ status: 'pass', summary: `${tag} is present locally` });
    } finally {
      await execa('docker', ['rmi', tag], { reject: false });
    }
  });

  it('rejects an unknown Kubernetes version with the list it knows', async () => {
    const result = await execa('node', [cli, 'doctor', '--k8s', '1.20'], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('pullproof: Kubernetes 1.20 is not supported: pullproof knows 1.33, 1.34, 1.35, 1.36, 1.37');
  });
});
