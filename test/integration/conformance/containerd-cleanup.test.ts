import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { cleanupNamespace } from '../../../harness/conformance/containerd-pull.ts';
import { describeWhenPresent } from '../../support/docker.ts';

const CONTAINERD = process.env.PULLPROOF_CONTAINERD_ADDRESS ?? '/run/docker/containerd/containerd.sock';
const missing = existsSync(CONTAINERD) ? undefined : `containerd socket ${CONTAINERD} not found (start dockerd or set PULLPROOF_CONTAINERD_ADDRESS)`;
describeWhenPresent(missing, 'containerd namespace cleanup', () => {
  it('removes a namespace holding only a lease, as a ctr killed mid-pull leaves it', async () => {
    const namespace = `pullproof-conformance-${randomBytes(4).toString('hex')}`;
    const base = ['--address', CONTAINERD, '--namespace', namespace];
    await execa('ctr', [...base, 'leases', 'create']);
    expect((await execa('ctr', ['--address', CONTAINERD, 'namespaces', 'ls', '-q'])).stdout.split('\n')).toContain(namespace);
    await cleanupNamespace('ctr', CONTAINERD, namespace);
    expect((await execa('ctr', ['--address', CONTAINERD, 'namespaces', 'ls', '-q'])).stdout.split('\n')).not.toContain(namespace);
  });
});
