import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

/** metav1.Time marshals as RFC 3339 with second precision (`2006-01-02T15:04:05Z`). */
export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The wire form of the status kubelet writes: times as RFC 3339 strings, `lastProbeTime: null`. */
export type WirePodCondition = Omit<V1PodCondition, 'lastProbeTime' | 'lastTransitionTime'> & { lastProbeTime: null; lastTransitionTime: string };
export type WireContainerStatus = Omit<V1ContainerStatus, 'state' | 'lastState'> & {
  state: { waiting?: { reason: string; message?: string }; running?: { startedAt: string }; terminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string; containerID: string } };
  lastState: Record<string, never>;
};
export type WirePodStatus = Omit<V1PodStatus, 'conditions' | 'startTime' | 'containerStatuses'> & { conditions: WirePodCondition[]; startTime: string; containerStatuses: WireContainerStatus[] };

/**
 * The pod status kubelet writes (k/k pkg/kubelet/kubelet_pods.go generateAPIPodStatus, getPhase,
 * convertToAPIContainerStatuses; pkg/kubelet/status/generate.go for the Ready/ContainersReady
 * reasons; reference §8). Pure: the worker keeps one ContainerState per container and builds the
 * whole status from them each time.
 */

export type ContainerState =
  | { readonly kind: 'waiting'; readonly reason: string; readonly message?: string }
  | {
      readonly kind: 'running';
      readonly startedAt: Date;
      /** containerd reports the first repo tag (CRI status.Image.Image). */
      readonly image: string;
      /** containerd reports the first repo digest (CRI ImageRef). */
      readonly imageID: string;
      readonly containerID: string;
    }
  | {
      readonly kind: 'terminated';
      readonly exitCode: number;
      readonly startedAt: Date;
      readonly finishedAt: Date;
      readonly image: string;
      readonly imageID: string;
      readonly containerID: string;
    };

/** containerd CRI container_status.go: exit 0 → "Completed", otherwise "Error" (OOMKilled not emulated). */
export function exitReason(exitCode: number): string {
  return exitCode === 0 ? 'Completed' : 'Error';
}

export function containerStatus(name: string, specImage: string, state: ContainerState): WireContainerStatus {
  switch (state.kind) {
    case 'waiting':
      // Before the first start: no imageID/containerID; image is the spec's string.
      return { name, image: specImage, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) } }, lastState: {} };
    case 'running':
      return { name, image: state.image, imageID: state.imageID, containerID: state.containerID, ready: true, started: true, restartCount: 0, state: { running: { startedAt: rfc3339(state.startedAt) } }, lastState: {} };
    case 'terminated':
      return {
        name, image: state.image, imageID: state.imageID, containerID: state.containerID, ready: false, started: false, restartCount: 0,
        state: { terminated: { exitCode: state.exitCode, reason: exitReason(state.exitCode), startedAt: rfc3339(state.startedAt), finishedAt: rfc3339(state.finishedAt), containerID: state.containerID } },
        lastState: {},
      };
  }
}

/** kubelet_pods.go getPhase, for pods without init containers. */
export function podPhase(states: readonly ContainerState[], restartPolicy: string | undefined): string {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of states) {
    if (s.kind === 'running') running++;
    else if (s.kind === 'waiting') waiting++;
    else {
      stopped++;
      if (s.exitCode === 0) succeeded++;
    }
  }
  if (states.length === 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (restartPolicy === 'Always' || restartPolicy === undefined) return 'Running';
  if (restartPolicy === 'OnFailure') return stopped === succeeded ? 'Succeeded' : 'Running';
  return stopped === succeeded ? 'Succeeded' : 'Failed';
}

function condition(type: string, status: 'True' | 'False', previous: readonly WirePodCondition[], now: Date, reason?: string, message?: string): WirePodCondition {
  // lastTransitionTime moves only when the status changes (status manager updateLastTransitionTime).
  const before = previous.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : rfc3339(now);
  return { type, status, lastProbeTime: null, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/**
 * The five conditions in kubelet's order (§8): PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled. Not-ready reason/message from status/generate.go:
 * `ContainersNotReady`, `containers with unready status: [a b]`; a finished pod's Ready is `PodCompleted`.
 */
export function podConditions(names: readonly string[], states: readonly ContainerState[], phase: string, previous: readonly WirePodCondition[], now: Date): WirePodCondition[] {
  const unready = names.filter((_, i) => states[i]?.kind !== 'running');
  const ready = unready.length === 0;
  const notReady = phase === 'Succeeded' ? { reason: 'PodCompleted' } : { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  return [
    condition('PodReadyToStartContainers', phase === 'Succeeded' || phase === 'Failed' ? 'False' : 'True', previous, now),
    condition('Initialized', 'True', previous, now),
    ready ? condition('Ready', 'True', previous, now) : condition('Ready', 'False', previous, now, notReady.reason, notReady.message),
    ready ? condition('ContainersReady', 'True', previous, now) : condition('ContainersReady', 'False', previous, now, notReady.reason, notReady.message),
    condition('PodScheduled', 'True', previous, now),
  ];
}

export interface StatusInput {
  readonly pod: V1Pod;
  readonly states: ReadonlyMap<string, ContainerState>;
  readonly hostIP: string | undefined;
  readonly startTime: Date;
  readonly previous: readonly WirePodCondition[];
  readonly now: Date;
}

export function buildPodStatus(input: StatusInput): WirePodStatus {
  const containers = input.pod.spec?.containers ?? [];
  const names = containers.map((c) => c.name);
  const states = containers.map((c) => input.states.get(c.name) ?? { kind: 'waiting' as const, reason: 'ContainerCreating' });
  const phase = podPhase(states, input.pod.spec?.restartPolicy);
  return {
    phase,
    conditions: podConditions(names, states, phase, input.previous, input.now),
    ...(input.hostIP ? { hostIP: input.hostIP, hostIPs: [{ ip: input.hostIP }] } : {}),
    startTime: rfc3339(input.startTime),
    containerStatuses: containers.map((c, i) => containerStatus(c.name, c.image ?? '', states[i] ?? { kind: 'waiting', reason: 'ContainerCreating' })),
  };
}

/**
 * The status-subresource patch body: kubelet's PatchPodStatus sends a strategic merge patch that
 * carries `metadata.uid` as a precondition (pkg/util/pod/pod.go preparePatchBytesForPodStatus).
 * The stand-in sends the whole status (conditions merge by `type`, containerStatuses replace).
 */
export function statusPatch(uid: string, status: WirePodStatus): { metadata: { uid: string }; status: WirePodStatus } {
  return { metadata: { uid }, status };
}
