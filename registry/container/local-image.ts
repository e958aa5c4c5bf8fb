import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';

/**
 * Builds a Docker image from a recipe directory (a Dockerfile and its context) once per recipe
 * content: the tag is the hash of every file in the directory, so an edited recipe rebuilds and an
 * unchanged one is a no-op. No base image is pulled: recipes are `FROM scratch` or import a rootfs.
 */
export interface LocalImageRecipe {
  /** Directory holding the Dockerfile and everything it copies. */
  readonly dir: string;
  /** Repository part of the tag, e.g. `pullproof/registry`. */
  readonly repository: string;
  /** Extra build-context files produced at build time (e.g. a binary copied from the host). */
  readonly prepare?: (contextDir: string) => Promise<void>;
  /** Strings mixed into the hash (e.g. the version of a host binary the recipe copies). */
  readonly hashInputs?: readonly string[];
}

export class LocalImageBuildError extends Error {
  readonly recipe: string;
  constructor(recipe: string, detail: string, options?: { cause?: unknown }) {
    super(`building image from recipe ${recipe} failed: ${detail}`, options);
    this.name = 'LocalImageBuildError';
    this.recipe = recipe;
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out.sort();
}

export async function recipeHash(recipe: LocalImageRecipe): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await filesUnder(recipe.dir)) {
    hash.update(relative(recipe.dir, file)).update('\0');
    hash.update(((await stat(file)).mode & 0o111).toString()).update('\0');
    hash.update(await readFile(file)).update('\0');
  }
  for (const input of recipe.hashInputs ?? []) hash.update(input).update('\0');
  return hash.digest('hex').slice(0, 16);
}

export async function imageExists(ref: string): Promise<boolean> {
  const result = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { reject: false });
  return result.exitCode === 0;
}

/** Returns `repository:<recipe hash>`, building it first when it is not present. */
export async function ensureLocalImage(recipe: LocalImageRecipe): Promise<string> {
  const ref = `${recipe.repository}:${await recipeHash(recipe)}`;
  if (await imageExists(ref)) return ref;
  const { mkdtemp, cp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const context = await mkdtemp(join(tmpdir(), 'pullproof-build-'));
  try {
    await cp(recipe.dir, context, { recursive: true });
    await recipe.prepare?.(context);
    const result = await execa('docker', ['build', '--quiet', '--tag', ref, context], { reject: false, all: true });
    if (result.exitCode !== 0) {
      throw new LocalImageBuildError(recipe.dir, `docker build exited ${result.exitCode}: ${result.all.slice(-2000)}`);
    }
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  return ref;
}
