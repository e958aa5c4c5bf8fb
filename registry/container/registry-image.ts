import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ensureLocalImage, imageExists } from './local-image.ts';

/**
 * Which distribution image to run. Order: an explicit override (option or PULLPROOF_REGISTRY_IMAGE),
 * else registry:3 pinned by digest if present locally or pullable, else a locally built image from
 * the host's Debian docker-registry 2.8 (fixtures/registry-image), which needs no pulls at all.
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
    super(`no distribution registry image available: ${detail}; install Debian's docker-registry package (apt-get install docker-registry), load registry:3, or set PULLPROOF_REGISTRY_IMAGE`, options);
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

export function resolveRegistryImage(options: { override?: string } = {}): Promise<RegistryImage> {
  const override = options.override ?? process.env.PULLPROOF_REGISTRY_IMAGE;
  if (override) return Promise.resolve({ ref: override, source: 'override' });
  cached ??= (async (): Promise<RegistryImage> => {
    if (await imageExists(REGISTRY_3_IMAGE)) return { ref: REGISTRY_3_IMAGE, source: 'registry:3' };
    const pull = await execa('docker', ['pull', '--quiet', REGISTRY_3_IMAGE], { reject: false, timeout: 120_000 });
    if (pull.exitCode === 0) return { ref: REGISTRY_3_IMAGE, source: 'registry:3' };
    return { ref: await buildOfflineImage(), source: 'local-2.8' };
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
