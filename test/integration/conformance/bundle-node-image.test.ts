import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildProviderBundle, hostArch } from '../../../provider/index.ts';
import { describeWithDocker } from '../../support/docker.ts';

// The cross-arch / non-Linux path of the bundle builder: Node copied out of an image with
// docker create + docker cp. No registry here, so the "official Node image" is stood in for by a
// tiny image imported from a tarball holding /usr/local/bin/node.
describeWithDocker('provider bundle: Node runtime copied out of an image', () => {
  let root: string;
  const image = `pullproof-fake-node:${randomBytes(4).toString('hex')}`;
  const FAKE_NODE = '#!/bin/sh\necho fake-node "$@"\n';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pullproof-bundle-image-'));
    const rootfs = join(root, 'rootfs');
    await mkdir(join(rootfs, 'usr', 'local', 'bin'), { recursive: true });
    await writeFile(join(rootfs, 'usr', 'local', 'bin', 'node'), FAKE_NODE);
    await chmod(join(rootfs, 'usr', 'local', 'bin', 'node'), 0o755);
    await execa('tar', ['-C', rootfs, '-cf', join(root, 'rootfs.tar'), '.']);
    await execa('docker', ['import', join(root, 'rootfs.tar'), image]);
  });

  afterAll(async () => {
    await execa('docker', ['rmi', '-f', image], { reject: false });
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('copies node out of the image, removes the temporary container, and the launcher runs it', async () => {
    const before = (await execa('docker', ['ps', '-aq', '--filter', `ancestor=${image}`])).stdout;
    const bundle = await buildProviderBundle({ outDir: join(root, 'bundle'), providerName: 'pullproof-credential-provider', nodeSource: 'image', nodeImage: image, arch: hostArch() ?? 'amd64' });
    expect(bundle.nodeSource).toBe('image');
    expect(await readFile(bundle.nodeBinary, 'utf8')).toBe(FAKE_NODE);
    const run = await execa(bundle.launchers[0] ?? '', ['--mode', 'passthrough'], { input: '', reject: false });
    expect(run.stdout).toBe(`fake-node ${bundle.pluginFile.replace(`${bundle.dir}/`, `${bundle.binDir}/../`)} --mode passthrough`);
    expect((await execa('docker', ['ps', '-aq', '--filter', `ancestor=${image}`])).stdout).toBe(before);
  });

  it('says what to do when the image is not available', async () => {
    await expect(buildProviderBundle({ outDir: join(root, 'missing'), providerName: 'p', nodeSource: 'image', nodeImage: 'pullproof-no-such-image:never' })).rejects.toThrow(/docker create pullproof-no-such-image:never .* failed: .*load that image/);
  });
});
