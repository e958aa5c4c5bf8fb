import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import type { CredentialProviderSpec } from '../../../harness/cluster/credential-provider-config.ts';
import type { ClusterHooks, ClusterSpec } from '../../../harness/cluster/lifecycle.ts';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';

/** Unique per test process, so residue checks only ever look at what this suite created. */
export const RUN_PREFIX = `pullproof-st${Math.random().toString(36).slice(2, 6)}`;

export const REGISTRY = { host: 'pullproof-registry:5000', server: 'http://pullproof-registry:5000' } as const;

export const PROVIDERS: readonly CredentialProviderSpec[] = [{
  name: 'pullproof-provider',
  matchImages: ['pullproof-registry:5000/*'],
  defaultCacheDuration: '0s',
  tokenAttributes: { serviceAccountTokenAudience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
}];

export const PLUGIN_SCRIPT = '#!/bin/sh\necho stand-in provider bundle\n';

/** Hooks standing in for the registry/token service and the plugin bundle (other issues' APIs). */
export function fakeHooks(events: string[] = []): ClusterHooks {
  return {
    startServices: () => {
      events.push('services started');
      return Promise.resolve({ registries: [REGISTRY], stop: () => { events.push('services stopped'); return Promise.resolve(); } });
    },
    writeProviderBundle: async (dir) => {
      await mkdir(join(dir, 'bin'), { recursive: true });
      await writeFile(join(dir, 'bin', 'pullproof-provider'), PLUGIN_SCRIPT);
      await chmod(join(dir, 'bin', 'pullproof-provider'), 0o755);
    },
  };
}

const workDirs: string[] = [];

/** Removes the work directories standinSpec() made (call from afterAll). */
export async function removeWorkDirs(): Promise<void> {
  await Promise.all(workDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export async function standinSpec(image: string, minor: string, suffix: string, extra: Partial<ClusterSpec> = {}): Promise<ClusterSpec> {
  const workDir = await mkdtemp(join(tmpdir(), 'pullproof-standin-'));
  workDirs.push(workDir);
  return {
    name: `${RUN_PREFIX}-${suffix}`,
    version: kubernetesVersion(minor),
    needs: { workers: 1, nodeImage: image },
    providers: PROVIDERS,
    workDir,
    impersonateRelease: true,
    waitSeconds: 30,
    ...extra,
  };
}

export interface HostSnapshot {
  readonly containers: readonly string[];
  readonly networks: readonly string[];
  readonly clusters: readonly string[];
}

async function lines(cmd: string, args: string[]): Promise<string[]> {
  const r = await execa(cmd, args, { reject: false });
  return r.stdout.split('\n').filter((l) => l && !l.startsWith('No kind clusters')).sort();
}

export async function hostSnapshot(): Promise<HostSnapshot> {
  return {
    containers: await lines('docker', ['ps', '-a', '--format', '{{.Names}}']),
    networks: await lines('docker', ['network', 'ls', '--format', '{{.Name}}']),
    clusters: await lines('kind', ['get', 'clusters']),
  };
}

/** What appeared or vanished between two snapshots (other engineers share this engine, so filter by owner). */
export function snapshotDiff(before: HostSnapshot, after: HostSnapshot, mine: (name: string) => boolean) {
  const diff = (a: readonly string[], b: readonly string[]) => ({ added: b.filter((x) => !a.includes(x) && mine(x)), removed: a.filter((x) => !b.includes(x) && mine(x)) });
  return { containers: diff(before.containers, after.containers), networks: diff(before.networks, after.networks), clusters: diff(before.clusters, after.clusters) };
}

export const NO_CHANGE = { added: [], removed: [] };

/** kubeadm writes extraArgs as a map in v1beta3 and as [{name, value}] in v1beta4; read both. */
export function args(value: unknown): Record<string, string> {
  if (Array.isArray(value)) return Object.fromEntries((value as { name: string; value: string }[]).map((a) => [a.name, a.value]));
  return (value ?? {}) as Record<string, string>;
}

export type KubeadmDocs = Map<string, Record<string, unknown>>;

export function kubeadmDocs(text: string): KubeadmDocs {
  const docs = new Map<string, Record<string, unknown>>();
  for (const d of parseAllDocuments(text)) {
    const obj = d.toJS() as Record<string, unknown>;
    docs.set(String(obj.kind), obj);
  }
  return docs;
}

export async function nodeExec(node: string, script: string): Promise<string> {
  const r = await execa('docker', ['exec', node, 'sh', '-c', script], { all: true });
  return r.stdout;
}

export async function nodeIp(node: string): Promise<string> {
  const r = await execa('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', node]);
  return r.stdout.trim();
}
