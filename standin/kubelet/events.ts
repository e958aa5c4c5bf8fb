import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { formatGoDuration } from '../../harness/conformance/go/duration.ts';
import { goQuote } from '../../harness/conformance/go/quote.ts';

/**
 * kubelet's container events: reasons from k/k pkg/kubelet/events/event.go, message formats from
 * pkg/kubelet/images/image_manager.go (image events) and pkg/kubelet/kuberuntime/kuberuntime_container.go
 * startContainer (`Error: %v`, Created, Started). `%q` is the pod spec's image string verbatim.
 */

export type EventType = 'Normal' | 'Warning';

export interface ContainerEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** Go's `time.Duration` printed after `Truncate(time.Millisecond)`, as the Pulled event does. */
export function pullDuration(ms: number): string {
  return formatGoDuration(Math.trunc(ms) * 1e6);
}

export const imageEvents = {
  pulling: (image: string): ContainerEvent => ({ type: 'Normal', reason: 'Pulling', message: `Pulling image ${goQuote(image)}` }),
  /** `Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes.` */
  pulled: (image: string, pullMs: number, totalMs: number, sizeBytes: number): ContainerEvent => ({
    type: 'Normal',
    reason: 'Pulled',
    message: `Successfully pulled image ${goQuote(image)} in ${pullDuration(pullMs)} (${pullDuration(totalMs)} including waiting). Image size: ${sizeBytes} bytes.`,
  }),
  failed: (image: string, error: string): ContainerEvent => ({ type: 'Warning', reason: 'Failed', message: `Failed to pull image ${goQuote(image)}: ${error}` }),
  backOff: (image: string): ContainerEvent => ({ type: 'Normal', reason: 'BackOff', message: `Back-off pulling image ${goQuote(image)}` }),
  neverPull: (image: string): ContainerEvent => ({ type: 'Warning', reason: 'ErrImageNeverPull', message: `Container image ${goQuote(image)} is not present with pull policy of Never` }),
  invalidName: (image: string, error: string): ContainerEvent => ({ type: 'Warning', reason: 'InspectFailed', message: `Failed to apply default image tag ${goQuote(image)}: ${error}` }),
};

export const containerEvents = {
  /** startContainer's second event after any EnsureImageExists / create / start error: `Error: %v`. */
  error: (reason: string): ContainerEvent => ({ type: 'Warning', reason: 'Failed', message: `Error: ${reason}` }),
  /** Newest form `Created container: %v`; older releases printed `Created container %v` (which release changed it is UNVERIFIED). */
  created: (name: string): ContainerEvent => ({ type: 'Normal', reason: 'Created', message: `Created container: ${name}` }),
  started: (name: string): ContainerEvent => ({ type: 'Normal', reason: 'Started', message: `Started container ${name}` }),
};

/** GenerateContainerRef (pkg/kubelet/container/ref.go): the pod reference plus the container's fieldPath. */
export function containerFieldPath(pod: V1Pod, containerName: string): string {
  const spec = pod.spec;
  const index = (spec?.containers ?? []).findIndex((c) => c.name === containerName);
  if (index >= 0) return containerName ? `spec.containers{${containerName}}` : `spec.containers[${index}]`;
  if ((spec?.initContainers ?? []).some((c) => c.name === containerName)) return `spec.initContainers{${containerName}}`;
  return `spec.ephemeralContainers{${containerName}}`;
}

// util.GenerateEventName: `<name>.<hex UnixNano>`. Two events in the same millisecond must not
// collide, so nanoseconds advance monotonically within the process.
let lastNano = 0n;
function unixNano(now: Date): bigint {
  const candidate = BigInt(now.getTime()) * 1_000_000n;
  lastNano = candidate > lastNano ? candidate : lastNano + 1n;
  return lastNano;
}

/** The core/v1 Event client-go's recorder writes (tools/record/event.go makeEvent, §1.4). */
export function buildEvent(pod: V1Pod, containerName: string, event: ContainerEvent, nodeName: string, now: Date = new Date()): CoreV1Event {
  const meta = pod.metadata ?? {};
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? 'default';
  return {
    metadata: { name: `${name}.${unixNano(now).toString(16)}`, namespace },
    involvedObject: {
      kind: 'Pod',
      apiVersion: 'v1',
      namespace,
      name,
      ...(meta.uid ? { uid: meta.uid } : {}),
      ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
      fieldPath: containerFieldPath(pod, containerName),
    },
    reason: event.reason,
    message: event.message,
    type: event.type,
    source: { component: 'kubelet', host: nodeName },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: 'kubelet',
    reportingInstance: nodeName,
  };
}

/** kubelet also logs each event at V(3) (tools/record/event.go): `"Event occurred" object=… fieldPath=… …`. */
export function eventLogMessage(pod: V1Pod, containerName: string, event: ContainerEvent): string {
  const object = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  return `"Event occurred" object=${goQuote(object)} fieldPath=${goQuote(containerFieldPath(pod, containerName))} kind="Pod" apiVersion="v1" type=${goQuote(event.type)} reason=${goQuote(event.reason)} message=${goQuote(event.message)}`;
}
