import { createHash } from 'node:crypto';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { execa } from 'execa';
import { imageExists, recipeHash } from '../../registry/container/local-image.ts';
import { HostCommandError } from './errors.ts';

/**
 * The stand-in kind node image, in two layers so that editing the stand-in's TypeScript costs a
 * few seconds, not a Debian bootstrap:
 *   base  `pullproof/standin-node-base:<recipe hash>`: fixtures/standin-node → mmdebstrap (host apt
 *         sources) → `docker import` (~40 s, once per recipe);
 *   final `pullproof/standin-node:<hash>`: base + fixtures/standin-node-layer (kubeadm, kubectl) +
 *         the stand-in API server and kubelet (standin/main.ts, one esbuild file) + the Node runtime
 *         running this process, committed with `docker create` / `docker cp` / `docker commit`.
 * The final image carries the label `org.pullproof.standin`, by which the runner tells a stand-in
 * cluster (node depth) from a real one.
 */

export const STANDIN_RECIPE_DIR = new URL('../../fixtures/standin-node/', import.meta.url).pathname;
export const STANDIN_LAYER_DIR = new URL('../../fixtures/standin-node-layer/', import.meta.url).pathname;
const STANDIN_ENTRY = new URL('../../standin/main.ts', import.meta.url).pathname;
export const STANDIN_REPOSITORY = 'pullproof/standin-node';
/** Present (value: the layer hash) on every stand-in node image and absent from kindest/node. */
export const STANDIN_LABEL = 'org.pullproof.standin';
/** Where the layer puts the runtime and the bundle inside the node (fixtures/standin-node-layer/usr/local/bin/standin). */
const IN_NODE_DIR = 'opt/pullproof-standin';

/** The host's own apt sources: mmdebstrap pastes them into the chroot, so no mirror is named here. */
export const HOST_APT_SOURCES = '/etc/apt/sources.list.d/debian.sources';

interface StandinRecipe {
  readonly repository: string;
  readonly suite: string;
  readonly variant: string;
  readonly include: readonly string[];
  readonly dpkgExclude: readonly string[];
  readonly check: readonly string[];
  readonly import: { readonly entrypoint: readonly string[]; readonly stopSignal: string; readonly env: Readonly<Record<string, string>> };
}

export interface StandinImageOptions {
  readonly recipeDir?: string;
  readonly aptSources?: string;
  /** Node runtime copied into the image (default: the one running this process, Node >= 22). */
  readonly nodeBinary?: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

async function readRecipe(dir: string): Promise<StandinRecipe> {
  return JSON.parse(await readFile(join(dir, 'recipe.json'), 'utf8')) as StandinRecipe;
}

export async function standinBaseImageRef(recipeDir = STANDIN_RECIPE_DIR): Promise<string> {
  const recipe = await readRecipe(recipeDir);
  return `${recipe.repository}:${await recipeHash({ dir: recipeDir, repository: recipe.repository })}`;
}

/** The stand-in's API server, kubelet and kubectl as one ESM file for the node's Node runtime. */
export async function bundleStandin(): Promise<string> {
  const result = await build({
    entryPoints: [STANDIN_ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node22', write: false, legalComments: 'none',
    // Bundled CommonJS dependencies (client-node's) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __standinRequire } from 'node:module'; const require = __standinRequire(import.meta.url);" },
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${STANDIN_ENTRY}`);
  return file.text;
}

export async function ensureStandinBaseImage(dir: string, sources: string, options: StandinImageOptions): Promise<string> {
  const ref = await standinBaseImageRef(dir);
  if (await imageExists(ref)) return ref;
  const recipe = await readRecipe(dir);
  options.log?.(`building stand-in node base image ${ref} (mmdebstrap ${recipe.suite} + docker import)`);
  const work = await mkdtemp(join(tmpdir(), 'pullproof-standin-'));
  try {
    const rootfs = join(work, 'rootfs.tar');
    const mm = await execa('mmdebstrap', [
      `--variant=${recipe.variant}`,
      `--include=${recipe.include.join(',')}`,
      ...recipe.dpkgExclude.map((p) => `--dpkgopt=path-exclude=${p}`),
      `--customize-hook=sync-in ${join(dir, 'overlay')} /`,
      ...recipe.check.map((command) => `--customize-hook=chroot "$1" ${command}`),
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
  await removeOlderBuilds(recipe.repository, ref, options.log);
  return ref;
}

async function layerHash(base: string, bundle: string, nodeBinary: string): Promise<string> {
  const node = await execa(nodeBinary, ['--version'], { reject: false });
  const layerFiles = await recipeHash({ dir: STANDIN_LAYER_DIR, repository: STANDIN_REPOSITORY });
  return createHash('sha256').update(`${base}\0${layerFiles}\0${node.stdout}\0`).update(bundle).digest('hex').slice(0, 16);
}

/** base + layer files + bundle + Node, committed as the final image (a few seconds). */
async function commitLayer(base: string, ref: string, layerHashValue: string, bundle: string, nodeBinary: string, recipe: StandinRecipe, signal?: AbortSignal): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'pullproof-standin-layer-'));
  let container: string | undefined;
  try {
    const root = join(work, 'root');
    await cp(STANDIN_LAYER_DIR, root, { recursive: true });
    await mkdir(join(root, IN_NODE_DIR), { recursive: true });
    await writeFile(join(root, IN_NODE_DIR, 'standin.mjs'), bundle);
    await copyFile(nodeBinary, join(root, IN_NODE_DIR, 'node'));
    await chmod(join(root, IN_NODE_DIR, 'node'), 0o755);
    const created = await execa('docker', ['create', base], { reject: false, all: true, cancelSignal: signal });
    if (created.exitCode !== 0) throw new HostCommandError(`docker create ${base}`, created.exitCode, created.all, 'is the Docker engine running?');
    container = created.stdout.trim();
    const copied = await execa('docker', ['cp', `${root}/.`, `${container}:/`], { reject: false, all: true, cancelSignal: signal });
    if (copied.exitCode !== 0) throw new HostCommandError(`docker cp into ${container}`, copied.exitCode, copied.all, `copying the stand-in layer into ${base} failed`);
    // docker commit keeps the base's config; ENTRYPOINT is restated because `docker create` may not carry it over on every engine.
    const committed = await execa('docker', ['commit',
      '--change', `ENTRYPOINT ${JSON.stringify(recipe.import.entrypoint)}`,
      '--change', `LABEL ${STANDIN_LABEL}=${layerHashValue}`,
      container, ref], { reject: false, all: true, cancelSignal: signal });
    if (committed.exitCode !== 0) throw new HostCommandError(`docker commit ${container} ${ref}`, committed.exitCode, committed.all, 'committing the stand-in node image failed');
  } finally {
    if (container) await execa('docker', ['rm', '-f', container], { reject: false });
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Removes the older builds of a stand-in repository once a new one exists: each layer build is
 * ~130 MB (mostly the Node runtime) and each edit of the stand-in's code makes one. Only builds
 * more than an hour old (another checkout's run may be about to start one), and never forced: an
 * image a container still uses stays.
 */
async function removeOlderBuilds(repository: string, keep: string, log?: (line: string) => void): Promise<void> {
  const listed = await execa('docker', ['images', repository, '--format', '{{.Repository}}:{{.Tag}}'], { reject: false });
  const older = listed.stdout.split('\n').filter((ref) => ref && ref !== keep && !ref.endsWith(':<none>'));
  for (const ref of older) {
    const created = await execa('docker', ['image', 'inspect', '--format', '{{.Created}}', ref], { reject: false });
    if (created.exitCode !== 0 || !(Date.now() - Date.parse(created.stdout.trim()) > 3_600_000)) continue;
    const removed = await execa('docker', ['rmi', ref], { reject: false });
    if (removed.exitCode === 0) log?.(`removed the older stand-in build ${ref}`);
  }
}

/**
 * Returns `pullproof/standin-node:<hash>`, building what is missing: the base (~40 s, once per
 * recipe) and the layer (a few seconds, whenever the stand-in's code or the Node runtime changes).
 */
export async function ensureStandinNodeImage(options: StandinImageOptions = {}): Promise<string> {
  const dir = options.recipeDir ?? STANDIN_RECIPE_DIR;
  const base = await ensureStandinBaseImage(dir, options.aptSources ?? HOST_APT_SOURCES, options);
  const bundle = await bundleStandin();
  const nodeBinary = options.nodeBinary ?? process.execPath;
  const hash = await layerHash(base, bundle, nodeBinary);
  const ref = `${STANDIN_REPOSITORY}:${hash}`;
  if (await imageExists(ref)) return ref;
  options.log?.(`building stand-in node image ${ref} (${base} + stand-in API server and kubelet)`);
  await commitLayer(base, ref, hash, bundle, nodeBinary, await readRecipe(dir), options.signal);
  await removeOlderBuilds(STANDIN_REPOSITORY, ref, options.log);
  return ref;
}

/** Whether a node image is a stand-in (its label), so a run reports node depth, not cluster depth. */
export async function isStandinImage(ref: string): Promise<boolean> {
  const r = await execa('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${STANDIN_LABEL}" }}`, ref], { reject: false });
  return r.exitCode === 0 && r.stdout.trim() !== '' && r.stdout.trim() !== '<no value>';
}
