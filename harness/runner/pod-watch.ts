import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { PodEvent, Verdict } from '../results/model.ts';
import { inconclusive, podVerdict, toPodEvents } from '../verdict/pod-verdict.ts';

export interface PodFate {
  readonly verdict: Verdict;
  readonly pod?: V1Pod;
  readonly events: readonly PodEvent[];
}

async function podEvents(core: CoreV1Api, namespace: string, name: string): Promise<PodEvent[]> {
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}` });
  return toPodEvents(list.items);
}

/**
 * A watch that ends this way is re-opened: the server closed it, or client-node gave up after 30 s
 * without a byte (its inactivity timeout, a `TimeoutError`), which a quiet pod — an image still
 * pulling — causes on a real API server as much as on the stand-in.
 */
function reopens(error: unknown): boolean {
  return error instanceof Error || error instanceof DOMException ? error.name === 'AbortError' || error.name === 'TimeoutError' : false;
}

/**
 * Waits for a pod's verdict with an API watch (no polling): resolves on the first status that
 * decides it (DESIGN.md decision 6), or inconclusive when `timeoutMs` passes. A watch the server
 * closes early is re-opened.
 */
export async function awaitPodFate(kc: KubeConfig, namespace: string, name: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<PodFate> {
  const core = kc.makeApiClient(CoreV1Api);
  const watch = new Watch(kc);
  const started = Date.now();
  let latest: V1Pod | undefined;
  let controller: AbortController | undefined;
  let settled = false;

  return new Promise<PodFate>((resolve, reject) => {
    const finish = (fate: Promise<PodFate>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      options.signal?.removeEventListener('abort', onAbort);
      fate.then(resolve, reject);
    };
    const decide = async (): Promise<PodFate> => {
      const events = await podEvents(core, namespace, name);
      // The waiting reason arrives before kubelet's Failed event is listed; re-read the pod once so
      // the message comes from the same moment as the events.
      const pod = await core.readNamespacedPod({ namespace, name }).catch(() => latest);
      return { verdict: (pod && podVerdict(pod, events)) ?? inconclusive(pod, events, Date.now() - started), ...(pod ? { pod } : {}), events };
    };
    const onPod = (_phase: string, object: unknown): void => {
      const pod = object as V1Pod;
      if (pod?.metadata?.name !== name) return;
      latest = pod;
      if (podVerdict(pod, [])) finish(decide());
    };
    const open = async (): Promise<void> => {
      if (settled) return;
      controller = await watch.watch(`/api/v1/namespaces/${namespace}/pods`, { fieldSelector: `metadata.name=${name}` }, onPod, (error: unknown) => {
        if (settled) return;
        if (error && !reopens(error)) finish(Promise.reject(error instanceof Error ? error : new Error(`pod watch failed: ${JSON.stringify(error)}`)));
        else void open().catch((e: unknown) => finish(Promise.reject(e instanceof Error ? e : new Error(String(e)))));
      });
    };
    const timer = setTimeout(() => {
      finish(
        podEvents(core, namespace, name)
          .catch(() => [] as PodEvent[])
          // Some verdicts need the events (a container that failed after its image was pulled).
          .then((events) => ({ verdict: (latest && podVerdict(latest, events)) ?? inconclusive(latest, events, Date.now() - started), ...(latest ? { pod: latest } : {}), events })),
      );
    }, options.timeoutMs);
    const onAbort = (): void => finish(Promise.reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted')));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    open().catch((e: unknown) => finish(Promise.reject(e instanceof Error ? e : new Error(String(e)))));
  });
}
