import { spawn, type ChildProcess } from 'node:child_process';
import { pullWithContainerd, runCtr, type PullCredential, type PullResult } from '../../harness/conformance/containerd-pull.ts';

/**
 * The runtime edge: the node's containerd through `ctr`, standing in for the CRI calls kubelet makes
 * (ImageStatus, PullImage, CreateContainer, StartContainer, StopContainer, RemoveContainer).
 * Images and containers live in containerd namespace `k8s.io`, where the CRI plugin keeps them.
 */

export interface RuntimeOptions {
  readonly address: string;
  readonly namespace: string;
  readonly hostsDir: string;
  /** Default `ctr` on PATH. */
  readonly ctrPath?: string;
}

/** ctr's own error: the last `ctr: …` line of stderr, else its last line. */
export function ctrError(stderr: string, code: number | null): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const own = lines.filter((l) => l.startsWith('ctr: ')).at(-1);
  return (own ?? lines.at(-1) ?? `ctr exited ${String(code)}`).replace(/^ctr: /, '');
}

export interface ImageInfo {
  /** The image's name in containerd (the ParseDockerRef form CRI stores). */
  readonly ref: string;
  /** Target (manifest or index) digest: CRI reports `<repo>@<digest>` as imageID. */
  readonly digest: string;
  readonly mediaType: string;
}

/** Parses `ctr images ls` rows: REF TYPE DIGEST SIZE PLATFORMS LABELS (SIZE contains a space). */
export function parseImagesList(stdout: string): ImageInfo[] {
  const out: ImageInfo[] = [];
  for (const line of stdout.split('\n').slice(1)) {
    const m = /^(\S+)\s+(\S+)\s+(sha256:[0-9a-f]{64})\s/.exec(line);
    if (m?.[1] && m[2] && m[3]) out.push({ ref: m[1], mediaType: m[2], digest: m[3] });
  }
  return out;
}

const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le' };

interface Descriptor {
  readonly mediaType?: string;
  readonly digest?: string;
  readonly size?: number;
  readonly platform?: { readonly os?: string; readonly architecture?: string };
}

export class ContainerRuntime {
  readonly #ctr: string;
  readonly #base: readonly string[];
  readonly options: RuntimeOptions;

  constructor(options: RuntimeOptions) {
    this.options = options;
    this.#ctr = options.ctrPath ?? 'ctr';
    this.#base = ['--address', options.address, '--namespace', options.namespace];
  }

  /** CRI ImageStatus: is the image (by its normalised ref) in containerd's k8s.io namespace? */
  async image(ref: string): Promise<ImageInfo | undefined> {
    const r = await runCtr(this.#ctr, [...this.#base, 'images', 'ls']);
    if (r.code !== 0) throw new Error(`ctr images ls failed: ${ctrError(r.stderr, r.code)}`);
    return parseImagesList(r.stdout).find((i) => i.ref === ref);
  }

  /**
   * CRI ImageStatus size = containerd Image.Size(): the sum of the descriptor sizes walked for the
   * node's platform — root (index or manifest), the chosen manifest, config and layers (containerd
   * image.go Size with images.LimitManifests(…, 1)).
   */
  async imageSize(info: ImageInfo): Promise<number> {
    const blob = async (digest: string): Promise<{ size: number; json: Record<string, unknown> }> => {
      const r = await runCtr(this.#ctr, [...this.#base, 'content', 'get', digest]);
      if (r.code !== 0) throw new Error(`ctr content get ${digest} failed: ${ctrError(r.stderr, r.code)}`);
      return { size: Buffer.byteLength(r.stdout), json: JSON.parse(r.stdout) as Record<string, unknown> };
    };
    const root = await blob(info.digest);
    let total = root.size;
    let manifest = root.json;
    const manifests = root.json.manifests as Descriptor[] | undefined;
    if (Array.isArray(manifests)) {
      const arch = GO_ARCH[process.arch] ?? process.arch;
      const chosen = manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? manifests[0];
      if (!chosen?.digest) return total;
      const m = await blob(chosen.digest);
      total += m.size;
      manifest = m.json;
    }
    const config = manifest.config as Descriptor | undefined;
    const layers = (manifest.layers as Descriptor[] | undefined) ?? [];
    return total + (config?.size ?? 0) + layers.reduce((sum, l) => sum + (l.size ?? 0), 0);
  }

  /** CRI PullImage, credentials in keyring order, anonymous when none; the image stays in k8s.io. */
  pull(ref: string, credentials: readonly PullCredential[]): Promise<PullResult> {
    return pullWithContainerd(ref, credentials, {
      address: this.options.address,
      namespace: this.options.namespace,
      hostsDir: this.options.hostsDir,
      ctrPath: this.#ctr,
      keep: true,
    });
  }

  /** CRI CreateContainer: `ctr containers create <ref> <id> <command…>`. */
  async create(id: string, ref: string, command: readonly string[]): Promise<{ ok: true } | { ok: false; message: string }> {
    const r = await runCtr(this.#ctr, [...this.#base, 'containers', 'create', ref, id, ...command]);
    return r.code === 0 ? { ok: true } : { ok: false, message: ctrError(r.stderr, r.code) };
  }

  /**
   * CRI StartContainer: `ctr tasks start --null-io <id>` stays attached and exits with the
   * container's exit code (ctr tasks start, like `ctr run` without -d: `cli.NewExitError("", code)`).
   * Resolves `started` once `ctr tasks ls` shows the task RUNNING, or `failed` if ctr exits first
   * with its own error.
   */
  async start(id: string, onExit: (exitCode: number) => void, pollMs = 200): Promise<{ ok: true; process: ChildProcess } | { ok: false; message: string }> {
    const child = spawn(this.#ctr, [...this.#base, 'tasks', 'start', '--null-io', id], { stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    let exited: { code: number | null } | undefined;
    const closed = new Promise<void>((resolve) => child.on('close', (code) => {
      exited = { code };
      resolve();
    }));
    child.on('error', (e) => err.push(Buffer.from(e.message)));
    for (;;) {
      if (exited) {
        const stderr = Buffer.concat(err).toString('utf8');
        // ctr reports its own failures as `ctr: …`; a bare non-zero exit is the container's code.
        if (/^ctr: /m.test(stderr) || exited.code === null) return { ok: false, message: ctrError(stderr, exited.code) };
        const code = exited.code;
        // The caller records Running first; the exit follows it.
        setTimeout(() => onExit(code), 0);
        return { ok: true, process: child };
      }
      const ls = await runCtr(this.#ctr, [...this.#base, 'tasks', 'ls']);
      if (ls.stdout.split('\n').some((l) => l.trim().split(/\s+/)[0] === id && /\bRUNNING\b/.test(l))) {
        void closed.then(() => onExit(exited?.code ?? -1));
        return { ok: true, process: child };
      }
      await Promise.race([closed, new Promise((r) => setTimeout(r, pollMs))]);
    }
  }

  /** CRI StopContainer + RemoveContainer: SIGKILL the task, delete it and the container (errors ignored: it may be gone). */
  async remove(id: string): Promise<void> {
    await runCtr(this.#ctr, [...this.#base, 'tasks', 'kill', '--signal', 'SIGKILL', id]);
    await runCtr(this.#ctr, [...this.#base, 'tasks', 'delete', '--force', id]);
    await runCtr(this.#ctr, [...this.#base, 'containers', 'delete', id]);
  }
}
