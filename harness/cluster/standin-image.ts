import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { imageExists, recipeHash } from '../../registry/container/local-image.ts';
import { HostCommandError } from './errors.ts';

/**
 * Builds the stand-in kind node image (fixtures/standin-node) from Debian packages: mmdebstrap
 * makes a rootfs tarball with the overlay synced in, `docker import` turns it into an image. The tag
 * is the hash of the recipe directory, so an unchanged recipe is never rebuilt.
 */

export const STANDIN_RECIPE_DIR = new URL('../../fixtures/standin-node/', import.meta.url).pathname;

/** The host's own apt sources: mmdebstrap pastes them into the chroot, so no mirror is named here. */
export const HOST_APT_SOURCES = '/etc/apt/sources.list.d/debian.sources';

interface StandinRecipe {
  readonly repository: string;
  readonly suite: string;
  readonly variant: string;
  readonly include: readonly string[];
  readonly dpkgExclude: readonly string[];
  readonly check: string;
  readonly import: { readonly entrypoint: readonly string[]; readonly stopSignal: string; readonly env: Readonly<Record<string, string>> };
}

export interface StandinImageOptions {
  readonly recipeDir?: string;
  readonly aptSources?: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

async function readRecipe(dir: string): Promise<StandinRecipe> {
  return JSON.parse(await readFile(join(dir, 'recipe.json'), 'utf8')) as StandinRecipe;
}

export async function standinImageRef(recipeDir = STANDIN_RECIPE_DIR): Promise<string> {
  const recipe = await readRecipe(recipeDir);
  return `${recipe.repository}:${await recipeHash({ dir: recipeDir, repository: recipe.repository })}`;
}

/** Returns `pullproof/standin-node:<recipe hash>`, building it first (~40 s) when it is absent. */
export async function ensureStandinNodeImage(options: StandinImageOptions = {}): Promise<string> {
  const dir = options.recipeDir ?? STANDIN_RECIPE_DIR;
  const ref = await standinImageRef(dir);
  if (await imageExists(ref)) return ref;
  const recipe = await readRecipe(dir);
  const sources = options.aptSources ?? HOST_APT_SOURCES;
  options.log?.(`building stand-in node image ${ref} (mmdebstrap ${recipe.suite} + docker import)`);
  const work = await mkdtemp(join(tmpdir(), 'pullproof-standin-'));
  try {
    const rootfs = join(work, 'rootfs.tar');
    const mm = await execa('mmdebstrap', [
      `--variant=${recipe.variant}`,
      `--include=${recipe.include.join(',')}`,
      ...recipe.dpkgExclude.map((p) => `--dpkgopt=path-exclude=${p}`),
      `--customize-hook=sync-in ${join(dir, 'overlay')} /`,
      `--customize-hook=chroot "$1" ${recipe.check}`,
      recipe.suite, rootfs, sources,
    ], { reject: false, all: true, cancelSignal: options.signal });
    if (mm.exitCode !== 0) {
      throw new HostCommandError('mmdebstrap', mm.exitCode, mm.all,
        `building the stand-in node rootfs from ${sources} failed: check that mmdebstrap is installed (apt-get install mmdebstrap) and the apt mirror in ${sources} is reachable`);
    }
    const changes = [
      `ENTRYPOINT ${JSON.stringify(recipe.import.entrypoint)}`,
      `STOPSIGNAL ${recipe.import.stopSignal}`,
      ...Object.entries(recipe.import.env).map(([k, v]) => `ENV ${k}=${v}`),
    ];
    const imp = await execa('docker', ['import', ...changes.flatMap((c) => ['--change', c]), rootfs, ref],
      { reject: false, all: true, cancelSignal: options.signal });
    if (imp.exitCode !== 0) {
      throw new HostCommandError('docker import', imp.exitCode, imp.all, `importing ${rootfs} as ${ref} failed: is the Docker engine running?`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return ref;
}
