import { defaultContainerdAddress } from '../../harness/conformance/containerd-pull.ts';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execa } from 'execa';

/**
 * Real containerd pulls for tests and benches: `ctr images pull` against the containerd that dockerd
 * already runs, in a namespace of our own (`pullproof-<random>`). Why not a private containerd per
 * run: starting one needs its own root/state dirs, snapshotter setup and ~1–2 s per suite on a
 * 2-core box shared with others; a containerd namespace isolates images, content and leases just
 * as well, and removing the namespace's images (+ GC via --sync) and then the namespace cleans it.
 *
 * The password travels in argv (ctr has no non-interactive stdin for it), so every error built here
 * replaces it with [REDACTED]; ctr's own stderr never contains it (containerd prints method, URL
 * and status only, reference §3.2).
 */

export const CONTAINERD_ADDRESS = defaultContainerdAddress();

export function containerdUnavailableReason(): string | undefined {
  if (!existsSync(CONTAINERD_ADDRESS)) return `containerd socket ${CONTAINERD_ADDRESS} not found (set PULLPROOF_CONTAINERD_ADDRESS)`;
  return undefined;
}

export interface CtrPullResult {
  readonly ok: boolean;
  readonly exitCode: number;
  /** ctr's stderr, with the password redacted. */
  readonly stderr: string;
  readonly durationMs: number;
}

export interface CtrSession {
  readonly namespace: string;
  pull(reference: string, credentials?: { username: string; password: string }): Promise<CtrPullResult>;
  /** Removes an image and (synchronously) garbage-collects its content, so the next pull fetches again. */
  remove(reference: string): Promise<void>;
  /** Removes every image pulled in this namespace and the namespace itself. */
  cleanup(): Promise<void>;
}

export function ctrSession(): CtrSession {
  const namespace = `pullproof-${randomBytes(4).toString('hex')}`;
  const base = ['--address', CONTAINERD_ADDRESS, '--namespace', namespace];
  const pulled = new Set<string>();
  return {
    namespace,
    async pull(reference, credentials) {
      const args = [...base, 'images', 'pull', '--plain-http', ...(credentials ? ['--user', `${credentials.username}:${credentials.password}`] : []), reference];
      const started = performance.now();
      const result = await execa('ctr', args, { reject: false, timeout: 60_000, stdin: 'ignore' });
      const durationMs = performance.now() - started;
      pulled.add(reference);
      let stderr = result.stderr;
      if (credentials) stderr = stderr.split(credentials.password).join('[REDACTED]');
      return { ok: result.exitCode === 0, exitCode: result.exitCode ?? -1, stderr, durationMs };
    },
    async remove(reference) {
      await execa('ctr', [...base, 'images', 'rm', '--sync', reference], { reject: false });
    },
    async cleanup() {
      const list = await execa('ctr', [...base, 'images', 'list', '--quiet'], { reject: false });
      const images = list.stdout.split('\n').filter(Boolean);
      if (images.length > 0) await execa('ctr', [...base, 'images', 'rm', '--sync', ...images], { reject: false });
      await execa('ctr', [...base, 'content', 'prune', 'references'], { reject: false });
      await execa('ctr', ['--address', CONTAINERD_ADDRESS, 'namespaces', 'rm', namespace], { reject: false });
    },
  };
}
