import { execa } from 'execa';
import { HostCommandError } from './errors.ts';
import { runGroup } from './host-command.ts';

/** The real `kind` binary, driven through its CLI (the same surface a user has). */

export const CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
export const ROLE_LABEL = 'io.x-k8s.kind.role';

export interface KindCreateOptions {
  readonly configPath: string;
  readonly kubeconfigPath: string;
  readonly waitSeconds: number;
  readonly signal?: AbortSignal;
}

export async function kindCreate(name: string, o: KindCreateOptions): Promise<string> {
  // --retain: on failure kind keeps the nodes so `kind export logs` can still read them; we delete after.
  const args = ['create', 'cluster', '--config', o.configPath, '--kubeconfig', o.kubeconfigPath, '--retain', '--wait', `${o.waitSeconds}s`];
  const r = await runGroup('kind', args, o.signal ? { signal: o.signal } : {});
  o.signal?.throwIfAborted();
  if (r.exitCode !== 0) {
    throw new HostCommandError(`kind ${args.join(' ')}`, r.exitCode, r.output,
      `kind could not create cluster ${name}: the lines above are kind's; node logs are exported to the run's artifacts`);
  }
  return r.output;
}

/** Container names of a cluster's nodes, in any state (`docker ps -a`, kind's own label). */
export async function clusterContainers(name: string): Promise<string[]> {
  const r = await execa('docker', ['ps', '-a', '--filter', `label=${CLUSTER_LABEL}=${name}`, '--format', '{{.Names}}'], { reject: false });
  return r.stdout.split('\n').filter(Boolean).sort();
}

export async function kindClusters(): Promise<string[]> {
  const r = await execa('kind', ['get', 'clusters'], { reject: false, all: true });
  if (r.exitCode !== 0) throw new HostCommandError('kind get clusters', r.exitCode, r.all, 'is the Docker engine reachable?');
  return r.stdout.split('\n').filter((l) => l && !l.startsWith('No kind clusters')).sort();
}

/**
 * Deletes a cluster and makes sure no node container survives: after an aborted create a
 * `docker run` the daemon had already accepted can land after `kind delete` listed the nodes, so
 * we list again until two consecutive listings are empty.
 */
export async function kindDelete(name: string, kubeconfigPath?: string): Promise<void> {
  const args = ['delete', 'cluster', '--name', name, ...(kubeconfigPath ? ['--kubeconfig', kubeconfigPath] : [])];
  const r = await execa('kind', args, { reject: false, all: true });
  let quiet = 0;
  for (let i = 0; i < 40 && quiet < 2; i++) {
    const left = await clusterContainers(name);
    if (left.length === 0) { quiet++; } else {
      quiet = 0;
      await execa('docker', ['rm', '-f', '-v', ...left], { reject: false });
    }
    await new Promise((res) => setTimeout(res, 150));
  }
  const left = await clusterContainers(name);
  if (left.length > 0) {
    throw new HostCommandError(`kind ${args.join(' ')}`, r.exitCode, r.all, `node containers ${left.join(', ')} are still there: remove them with docker rm -f -v`);
  }
}

export async function kindExportLogs(name: string, dir: string): Promise<boolean> {
  const r = await execa('kind', ['export', 'logs', dir, '--name', name], { reject: false, all: true, timeout: 60_000 });
  return r.exitCode === 0;
}

export async function kindKubeconfig(name: string): Promise<string> {
  const r = await execa('kind', ['get', 'kubeconfig', '--name', name], { reject: false, all: true });
  if (r.exitCode !== 0) throw new HostCommandError(`kind get kubeconfig --name ${name}`, r.exitCode, r.all, 'the cluster is gone or its control plane is stopped');
  return r.stdout;
}

/** `kind v0.33.0 go1.27.2 linux/amd64` → `v0.33.0`. */
export async function kindVersion(): Promise<string> {
  const r = await execa('kind', ['version'], { reject: false, all: true });
  const m = /\bv(\d+\.\d+\.\d+)/.exec(r.stdout);
  if (r.exitCode !== 0 || !m) throw new HostCommandError('kind version', r.exitCode, r.all, 'install kind (https://kind.sigs.k8s.io) and put it on PATH');
  return `v${m[1]}`;
}

/** Reads a file inside a node (kind's own way: `docker exec --privileged <node> cat <path>`). */
export async function readNodeFile(node: string, path: string): Promise<string> {
  const r = await execa('docker', ['exec', '--privileged', node, 'cat', path], { reject: false, all: true });
  if (r.exitCode !== 0) throw new HostCommandError(`docker exec ${node} cat ${path}`, r.exitCode, r.all, `the file is not in node ${node}`);
  return r.stdout;
}
