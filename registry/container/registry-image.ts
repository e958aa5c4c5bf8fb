import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ensureLocalImage, imageExists } from './local-image.ts';

/**
 * Which distribution image to run: an explicit choice (option or PULLPROOF_REGISTRY_IMAGE, e.g.
 * `registry:3` for the pinned REGISTRY_3_IMAGE), else the image `make test` exercises everywhere: a
 * local build of the host's Debian docker-registry 2.8 (fixtures/registry-image), which needs no
 * pulls. So the first real `make e2e` runs the registry the tests ran, and registry:3 (whose token
 * path has not run where pullproof is developed) only when asked for. Results name the one used.
 */

/**
 * registry:3 multi-arch index digest. [UNVERIFIED here: no Docker Hub access on this machine; the
 * digest is the one pinned by several public projects for registry:3.] Both 2.8 and 3.x accept our
 * x5c-signed tokens, so either image gives the same decisions (reference §2.2).
 */
export const REGISTRY_3_IMAGE = 'registry:3@sha256:1be55279f18a2fe1a74edf2664cac61c1bea305b7b4642dab412e7affdcb3e33';
export const HOST_REGISTRY_BINARY = '/usr/bin/docker-registry';

export type RegistryImageSource = 'override' | 'registry:3' | 'local-2.8';

export interface RegistryImage {
  readonly ref: string;
  readonly source: RegistryImageSource;
}

export class RegistryImageError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`no distribution registry image available: ${detail}; install Debian's docker-registry package (apt-get install docker-registry), or set PULLPROOF_REGISTRY_IMAGE (registry:3 or an image reference)`, options);
    this.name = 'RegistryImageError';
  }
}

const recipeDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'registry-image');

/** Shared libraries named by ldd (absolute paths), e.g. libc.so.6 and the dynamic loader. */
export function librariesFromLdd(output: string): string[] {
  const libraries = new Set<string>();
  for (const line of output.split('\n')) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (match?.[1]) libraries.add(match[1]);
  }
  return [...libraries].sort();
}

async function buildOfflineImage(): Promise<string> {
  const version = await execa(HOST_REGISTRY_BINARY, ['--version'], { reject: false });
  if (version.exitCode !== 0) throw new RegistryImageError(`${HOST_REGISTRY_BINARY} --version failed (${version.stderr || 'not installed?'})`);
  const ldd = await execa('ldd', [HOST_REGISTRY_BINARY], { reject: false });
  // A statically linked build prints "not a dynamic executable" and needs no libraries.
  const libraries = ldd.exitCode === 0 ? librariesFromLdd(ldd.stdout) : [];
  return ensureLocalImage({
    dir: recipeDir,
    repository: 'pullproof/registry-offline',
    hashInputs: [version.stdout, ...libraries],
    prepare: async (context) => {
      const rootfs = join(context, 'rootfs');
      for (const dir of ['bin', 'etc/distribution', 'var/lib/registry', 'tmp']) await mkdir(join(rootfs, dir), { recursive: true });
      await copyFile(HOST_REGISTRY_BINARY, join(rootfs, 'bin', 'registry'));
      for (const library of libraries) {
        await mkdir(join(rootfs, dirname(library)), { recursive: true });
        await copyFile(library, join(rootfs, library));
      }
    },
  });
}

let cached: Promise<RegistryImage> | undefined;

/** The explicit choices: `registry:3` (pinned by digest, pulled if absent) or any image reference. */
async function chosenImage(choice: string): Promise<RegistryImage> {
  if (choice !== 'registry:3' && choice !== REGISTRY_3_IMAGE) return { ref: choice, source: 'override' };
  if (!(await imageExists(REGISTRY_3_IMAGE))) {
    const pull = await execa('docker', ['pull', '--quiet', REGISTRY_3_IMAGE], { reject: false, all: true, timeout: 120_000 });
    if (pull.exitCode !== 0) throw new RegistryImageError(`registry:3 was chosen but ${REGISTRY_3_IMAGE} is not present and could not be pulled (${pull.all.trim().split('\n').pop() ?? ''})`);
  }
  return { ref: REGISTRY_3_IMAGE, source: 'registry:3' };
}

export function resolveRegistryImage(options: { override?: string } = {}): Promise<RegistryImage> {
  const choice = options.override ?? process.env.PULLPROOF_REGISTRY_IMAGE;
  if (choice) return chosenImage(choice);
  cached ??= (async (): Promise<RegistryImage> => ({ ref: await buildOfflineImage(), source: 'local-2.8' }))();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
