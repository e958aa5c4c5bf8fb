import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

/**
 * The pull edge: pull through real containerd with `ctr`, the way kubelet's
 * kubeGenericRuntimeManager.PullImage does through CRI — try each credential in keyring order,
 * stop at the first success; with no credentials pull anonymously ("Pulling image without
 * credentials"). Each run uses its own containerd namespace and removes it afterwards.
 */

export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';

/** containerd's own socket where it runs as a service (kind nodes), else the one dockerd starts for itself. */
const CONTAINERD_SOCKETS = [DEFAULT_CONTAINERD_ADDRESS, '/run/docker/containerd/containerd.sock'];

/** `$PULLPROOF_CONTAINERD_ADDRESS`, else the first containerd socket that exists, else the standard path. */
export function defaultContainerdAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULLPROOF_CONTAINERD_ADDRESS || CONTAINERD_SOCKETS.find((socket) => existsSync(socket)) || DEFAULT_CONTAINERD_ADDRESS;
}

export interface PullCredential {
  readonly username: string;
  readonly password: string;
  /** Where it came from (provider name + auth key), for the trace. */
  readonly source: string;
}

export interface PullOptions {
  /** containerd socket (dockerd's: /run/docker/containerd/containerd.sock). */
  readonly address?: string;
  /** containerd namespace; default a fresh `pullproof-conformance-<hex>`, removed afterwards. */
  readonly namespace?: string;
  /** Registry speaks plain HTTP (ctr --plain-http). */
  readonly plainHttp?: boolean;
  /** ctr --hosts-dir (certs.d layout), as kind nodes configure containerd. */
  readonly hostsDir?: string;
  readonly ctrPath?: string;
  /** Keep the pulled image and namespace (default false). */
  readonly keep?: boolean;
  readonly timeoutMs?: number;
}

export interface PullAttempt {
  /** undefined for the anonymous attempt. */
  readonly credentialSource: string | undefined;
  readonly ok: boolean;
  /** containerd's message (ctr stderr, last meaningful line), with secrets redacted. */
  readonly message: string;
}

export interface PullResult {
  readonly outcome: 'pulled' | 'denied';
  readonly image: string;
  readonly namespace: string;
  readonly attempts: readonly PullAttempt[];
  /** containerd's message for the final failed attempt (kubelet aggregates them). */
  readonly message: string;
}

export class ContainerdPullError extends Error {
  readonly address: string;
  constructor(address: string, detail: string) {
    super(`containerd at ${address} is not usable: ${detail} (start containerd, or pass --containerd-address with a reachable socket)`);
    this.name = 'ContainerdPullError';
    this.address = address;
  }
}

export interface CtrRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// Passing credentials: ctr only takes them as `--user user:password` on argv (no stdin/env
// option without a TTY). The argv is visible to local root for the pull's duration; it never
// reaches our output: every message is redacted before it is returned.
export function runCtr(ctr: string, args: readonly string[], timeoutMs = 60_000): Promise<CtrRun> {
  return new Promise((resolve) => {
    const child = spawn(ctr, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => err.push(Buffer.from(e.message)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('<redacted>');
  return out;
}

function containerdMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const meaningful = lines.filter((l) => !/^(resolving|elapsed|fetching|manifest-|layer-|config-|index-)/.test(l));
  return (meaningful.at(-1) ?? lines.at(-1) ?? '').replace(/^ctr: /, '');
}

export async function pullWithContainerd(image: string, credentials: readonly PullCredential[], options: PullOptions = {}): Promise<PullResult> {
  const ctr = options.ctrPath ?? 'ctr';
  const address = options.address ?? defaultContainerdAddress();
  const namespace = options.namespace ?? `pullproof-conformance-${randomBytes(4).toString('hex')}`;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const base = ['--address', address, '--namespace', namespace];
  const probe = await runCtr(ctr, ['--address', address, 'version'], 15_000);
  if (probe.code !== 0) throw new ContainerdPullError(address, containerdMessage(probe.stderr) || `ctr exited ${probe.code}`);
  const secrets = credentials.flatMap((c) => [c.password, `${c.username}:${c.password}`]);
  const pullArgs = ['images', 'pull', ...(options.plainHttp ? ['--plain-http'] : []), ...(options.hostsDir ? ['--hosts-dir', options.hostsDir] : [])];
  const attempts: PullAttempt[] = [];
  try {
    const tries: (PullCredential | undefined)[] = credentials.length > 0 ? [...credentials] : [undefined];
    for (const credential of tries) {
      const userArgs = credential ? ['--user', `${credential.username}:${credential.password}`] : [];
      const result = await runCtr(ctr, [...base, ...pullArgs, ...userArgs, image], timeoutMs);
      const ok = result.code === 0;
      attempts.push({ credentialSource: credential?.source, ok, message: redact(ok ? 'pulled' : containerdMessage(result.stderr) || `ctr exited ${result.code}`, secrets) });
      if (ok) break;
    }
  } finally {
    if (!options.keep) await cleanupNamespace(ctr, address, namespace);
  }
  const last = attempts.at(-1);
  return { outcome: last?.ok ? 'pulled' : 'denied', image, namespace, attempts, message: last?.message ?? '' };
}

/**
 * Removes leases (a ctr killed mid-pull leaves its lease, pinning whatever it fetched), every image
 * in the namespace (synchronous GC drops content and snapshots), leftovers, then the namespace.
 */
export async function cleanupNamespace(ctr: string, address: string, namespace: string): Promise<void> {
  const base = ['--address', address, '--namespace', namespace];
  const leases = await runCtr(ctr, [...base, 'leases', 'ls', '-q'], 30_000);
  for (const id of leases.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) await runCtr(ctr, [...base, 'leases', 'rm', id], 30_000);
  const list = await runCtr(ctr, [...base, 'images', 'ls', '-q'], 30_000);
  const refs = list.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (refs.length > 0) await runCtr(ctr, [...base, 'images', 'rm', '--sync', ...refs], 60_000);
  const leftovers = await runCtr(ctr, [...base, 'snapshots', 'ls'], 30_000);
  const keys = leftovers.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]).filter((k): k is string => Boolean(k));
  for (const key of keys.reverse()) await runCtr(ctr, [...base, 'snapshots', 'rm', key], 30_000);
  const content = await runCtr(ctr, [...base, 'content', 'ls', '-q'], 30_000);
  const digests = content.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (digests.length > 0) await runCtr(ctr, [...base, 'content', 'rm', ...digests], 30_000);
  await runCtr(ctr, ['--address', address, 'namespaces', 'rm', namespace], 30_000);
}
