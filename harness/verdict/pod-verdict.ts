import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { PodEvent, Verdict } from '../results/model.ts';

/**
 * DESIGN.md decision 6: a pod's verdict is the first of
 *   container started                                        → pulled
 *   waiting on ErrImagePull / ImagePullBackOff / ErrImageNeverPull → denied
 *   nothing decided before the deadline                      → inconclusive (decided by the caller)
 * Waiting reasons are kubelet's (`pkg/kubelet/images/types.go`): ErrImagePull, ImagePullBackOff,
 * ErrImageNeverPull; upstream's ImagePullTest accepts exactly these three as a failed pull.
 */
export const PULL_DENIAL_REASONS: ReadonlySet<string> = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull']);

/**
 * Reasons that happen after the image is on the node: creating or running the container failed,
 * but the pull itself succeeded, which is what a pull verdict is about.
 */
const AFTER_PULL_REASONS: ReadonlySet<string> = new Set(['CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);

function containerStatus(pod: V1Pod, container?: string): V1ContainerStatus | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return container ? statuses.find((s) => s.name === container) : statuses[0];
}

/** kubelet's Warning `Failed` event carries the CRI error: `Failed to pull image "<img>": <containerd message>`. */
function pullFailureMessage(events: readonly PodEvent[]): string | undefined {
  const failed = events.filter((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image'));
  return failed.at(-1)?.message;
}

/** Converts API events into the report's event shape, oldest first. */
export function toPodEvents(events: readonly CoreV1Event[]): PodEvent[] {
  return events
    .map((e) => {
      const time = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
      return {
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: e.message ?? '',
        ...(time ? { time: new Date(time).toISOString() } : {}),
        ...(e.count ? { count: e.count } : {}),
      };
    })
    .sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
}

/** Returns the verdict the pod has reached, or undefined while it has not reached one. */
export function podVerdict(pod: V1Pod, events: readonly PodEvent[], container?: string): Verdict | undefined {
  const status = containerStatus(pod, container);
  if (status?.state?.running || status?.state?.terminated || status?.lastState?.terminated) {
    return { kind: 'pulled', reason: status.state?.running ? 'Running' : 'Terminated' };
  }
  if (pod.status?.phase === 'Succeeded') return { kind: 'pulled', reason: 'Succeeded' };
  const waiting = status?.state?.waiting;
  if (waiting?.reason && PULL_DENIAL_REASONS.has(waiting.reason)) {
    // ErrImageNeverPull's message is its own; for pull errors the event holds containerd's text,
    // and the waiting message (`Back-off pulling image …: ErrImagePull: <msg>`) repeats it.
    const message = waiting.reason === 'ErrImageNeverPull' ? waiting.message : (pullFailureMessage(events) ?? waiting.message);
    return { kind: 'denied', reason: waiting.reason, ...(message ? { message } : {}) };
  }
  if (waiting?.reason && AFTER_PULL_REASONS.has(waiting.reason) && events.some((e) => e.reason === 'Pulled')) {
    return { kind: 'pulled', reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) };
  }
  return undefined;
}

/** The verdict when the deadline passes without a decision: always a failure. */
export function inconclusive(pod: V1Pod | undefined, events: readonly PodEvent[], waitedMs: number): Verdict {
  const waiting = pod ? containerStatus(pod)?.state?.waiting : undefined;
  const last = events.at(-1);
  const state = waiting?.reason ? `still waiting (${waiting.reason})` : `phase ${pod?.status?.phase ?? 'unknown'}`;
  return {
    kind: 'inconclusive',
    reason: 'Timeout',
    message: `no verdict after ${Math.round(waitedMs / 1000)} s: ${state}${last ? `; last event ${last.reason}: ${last.message}` : ''}`,
  };
}
