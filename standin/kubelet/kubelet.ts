import { CoreV1Api, Watch, type KubeConfig, type V1Pod, type V1Taint } from '@kubernetes/client-node';
import { redactText } from '../../harness/results/redact.ts';
import { IMAGE_BACKOFF_INITIAL_MS, IMAGE_BACKOFF_MAX_MS } from './backoff.ts';
import { ContainerRuntime } from './containerd.ts';
import { klogLine, type KlogSeverity } from './klog.ts';
import { NodeStatusReporter } from './node.ts';
import { PodWorker } from './pod-worker.ts';

/**
 * The stand-in kubelet: registers its Node, heartbeats Ready, watches the pods bound to it and runs
 * each through kubelet's image and container flow against the node's containerd. See README.md for
 * what is emulated (with the upstream file each behaviour follows) and what is not.
 */

export interface KubeletOptions {
  readonly nodeName: string;
  readonly kubeconfig: KubeConfig;
  /** e.g. "v1.34.8"; the minor decides kubelet's credential-provider rules. */
  readonly kubernetesVersion: string;
  readonly featureGates: Readonly<Record<string, boolean>>;
  readonly credentialProvider?: { readonly configPath: string; readonly binDir: string };
  readonly containerd: { readonly address: string; readonly namespace: string; readonly hostsDir: string; readonly ctrPath?: string };
  readonly nodeLabels?: Readonly<Record<string, string>>;
  readonly registerWithTaints?: readonly V1Taint[];
  readonly nodeIp?: string;
  /** Receives klog-formatted lines, already redacted. */
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Test hooks; defaults are kubelet's. */
  readonly timing?: Partial<KubeletTiming>;
}

export interface KubeletTiming {
  /** Node status update period (kubelet nodeStatusUpdateFrequency default 10 s). */
  readonly heartbeatMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Delay before a failed pull is reported as ImagePullBackOff (the next pod sync). */
  readonly backoffResyncMs: number;
  /** Pause before re-opening a watch that failed. */
  readonly rewatchMs: number;
}

export interface RunningKubelet {
  stop(): Promise<void>;
}

export class KubeletStartError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`stand-in kubelet did not start: ${detail}`, options);
    this.name = 'KubeletStartError';
  }
}

/** "v1.34.8" → "1.34". */
export function kubernetesMinor(version: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) throw new KubeletStartError(`kubernetesVersion ${JSON.stringify(version)} is not a version like v1.34.8 (read it from /kind/version)`);
  return `${m[1]}.${m[2]}`;
}

const isGone = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && ((value as { statusCode?: unknown }).statusCode === 410 || (value as { code?: unknown }).code === 410);

export async function startKubelet(options: KubeletOptions): Promise<RunningKubelet> {
  const timing: KubeletTiming = {
    heartbeatMs: 10_000, backoffInitialMs: IMAGE_BACKOFF_INITIAL_MS, backoffMaxMs: IMAGE_BACKOFF_MAX_MS, backoffResyncMs: 1_000, rewatchMs: 1_000,
    ...options.timing,
  };
  const minor = kubernetesMinor(options.kubernetesVersion);
  const log = (severity: KlogSeverity, file: string, message: string): void => options.log(redactText(klogLine(severity, file, message)));
  const core = options.kubeconfig.makeApiClient(CoreV1Api);
  const runtime = new ContainerRuntime(options.containerd);
  const reporter = new NodeStatusReporter(core, {
    nodeName: options.nodeName, kubeletVersion: options.kubernetesVersion, nodeIp: options.nodeIp,
    nodeLabels: options.nodeLabels ?? {}, taints: options.registerWithTaints ?? [],
  });
  try {
    await reporter.register();
  } catch (error) {
    throw new KubeletStartError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  log('I', 'kubelet_node_status.go', `"Successfully registered node" node="${options.nodeName}"`);

  const stopping = new AbortController();
  const onAbort = (): void => stopping.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const heartbeat = setInterval(() => {
    reporter.heartbeat().catch((error: unknown) => log('E', 'kubelet_node_status.go', `"Error updating node status, will retry" err="${error instanceof Error ? error.message : String(error)}"`));
  }, timing.heartbeatMs);

  const workers = new Map<string, PodWorker>();
  const ctx = {
    kc: options.kubeconfig, core, nodeName: options.nodeName, nodeIp: options.nodeIp, kubernetesMinor: minor, featureGates: options.featureGates,
    credentialProvider: options.credentialProvider, runtime, log, timing,
  };
  const stops: Promise<void>[] = [];
  const handle = (type: string, pod: V1Pod): void => {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const worker = workers.get(uid);
    if (type === 'DELETED' || pod.metadata?.deletionTimestamp) {
      if (worker) {
        workers.delete(uid);
        log('I', 'kubelet.go', `"SyncLoop DELETE" source="api" pods=["${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}"]`);
        stops.push(worker.stop(type !== 'DELETED'));
      }
      return;
    }
    if (worker) {
      worker.pod = pod;
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    log('I', 'kubelet.go', `"SyncLoop ADD" source="api" pods=["${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}"]`);
    const fresh = new PodWorker(ctx, pod);
    workers.set(uid, fresh);
    fresh.start();
  };

  const fieldSelector = `spec.nodeName=${options.nodeName}`;
  const watch = new Watch(options.kubeconfig);
  let controller: AbortController | undefined;
  const loop = (async () => {
    let resourceVersion: string | undefined;
    while (!stopping.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          // (Re-)list: pods that vanished while the watch was down are stopped.
          const list = await core.listPodForAllNamespaces({ fieldSelector });
          const seen = new Set(list.items.map((p) => p.metadata?.uid));
          for (const [uid, w] of workers) if (!seen.has(uid)) handle('DELETED', w.pod);
          for (const pod of list.items) handle('ADDED', pod);
          resourceVersion = list.metadata?.resourceVersion ?? '';
        }
        await new Promise<void>((resolve) => {
          void watch
            .watch('/api/v1/pods', { fieldSelector, resourceVersion, allowWatchBookmarks: true }, (type: string, object: unknown) => {
              if (type === 'ERROR') {
                if (isGone(object)) resourceVersion = undefined;
                return;
              }
              const pod = object as V1Pod;
              if (pod.metadata?.resourceVersion) resourceVersion = pod.metadata.resourceVersion;
              if (type !== 'BOOKMARK') handle(type, pod);
            }, (error: unknown) => {
              if (isGone(error)) resourceVersion = undefined;
              else if (error && !stopping.signal.aborted && !(error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))) {
                log('E', 'reflector.go', `"Unhandled Error" err="pods watch failed: ${error instanceof Error ? error.message : JSON.stringify(error)}"`);
              }
              resolve();
            })
            .then((c) => {
              controller = c;
              if (stopping.signal.aborted) c.abort();
            });
          stopping.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      } catch (error) {
        if (isGone(error)) resourceVersion = undefined;
        else log('E', 'reflector.go', `"Failed to list pods" err="${error instanceof Error ? error.message : String(error)}"`);
        await new Promise((r) => setTimeout(r, timing.rewatchMs));
      }
    }
  })();

  return {
    stop: async () => {
      options.signal?.removeEventListener('abort', onAbort);
      stopping.abort();
      controller?.abort();
      clearInterval(heartbeat);
      await loop;
      // Pending deletions finish; every other pod's loops end, its containers keep running.
      await Promise.all(stops);
      await Promise.all([...workers.values()].map((w) => w.halt()));
    },
  };
}
