import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Event, V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { compare } from '../../../harness/verdict/compare.ts';
import { inconclusive, podVerdict, toPodEvents } from '../../../harness/verdict/pod-verdict.ts';

// Synthetic pod/event JSON, written by hand from kubelet's and containerd's own texts: the upstream
// source of every message is listed in synthetic/README.md. Not recorded from any cluster.
function synthetic(name: string): { pod: V1Pod; events: CoreV1Event[] } {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'synthetic', `${name}.json`), 'utf8')) as { pod: V1Pod; events: CoreV1Event[] };
}

function verdictOf(name: string) {
  const { pod, events } = synthetic(name);
  return podVerdict(pod, toPodEvents(events));
}

describe('pod verdicts', () => {
  it('calls a running container pulled', () => {
    expect(verdictOf('running')).toEqual({ kind: 'pulled', reason: 'Running' });
  });

  it('calls a succeeded pod and a container that restarted after starting pulled, because they terminated', () => {
    expect(verdictOf('succeeded')).toEqual({ kind: 'pulled', reason: 'Terminated' });
    expect(verdictOf('restarted-after-start')).toEqual({ kind: 'pulled', reason: 'Terminated' });
  });

  it("calls ErrImagePull denied and carries containerd's insufficient_scope message from the Failed event", () => {
    const verdict = verdictOf('err-image-pull-insufficient-scope');
    expect(verdict?.kind).toBe('denied');
    expect(verdict?.reason).toBe('ErrImagePull');
    expect(verdict?.message).toMatch(/^Failed to pull image ".*": failed to pull and unpack image/);
    expect(verdict?.message).toContain('server message: insufficient_scope: authorization failed');
  });

  it('calls ImagePullBackOff denied with the token service 401 message', () => {
    const verdict = verdictOf('image-pull-backoff-token-401');
    expect(verdict).toMatchObject({ kind: 'denied', reason: 'ImagePullBackOff' });
    expect(verdict?.message).toContain('failed to fetch oauth token: unexpected status from GET request to');
    expect(verdict?.message).toContain('401 Unauthorized');
  });

  it('calls ErrImageNeverPull denied with kubelet\'s "not present" message (KEP-2535 hides presence)', () => {
    expect(verdictOf('err-image-never-pull')).toMatchObject({ kind: 'denied', reason: 'ErrImageNeverPull', message: expect.stringContaining('is not present with pull policy of Never') as string });
  });

  it('has no verdict while the container is still being created', () => {
    expect(verdictOf('container-creating')).toBeUndefined();
  });

  it('calls a container that failed to start after a successful pull pulled: the pull is what is judged', () => {
    expect(verdictOf('create-container-error-after-pull')).toStrictEqual({
      kind: 'pulled',
      reason: 'CreateContainerError',
      message: 'failed to generate container spec: no command specified',
    });
  });

  it('sorts events oldest first', () => {
    const { events } = synthetic('running');
    expect(toPodEvents([...events].reverse()).map((e) => e.reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('turns a timeout into an inconclusive verdict that names the last state and event', () => {
    const { pod, events } = synthetic('container-creating');
    expect(inconclusive(pod, toPodEvents(events), 90_000)).toStrictEqual({
      kind: 'inconclusive',
      reason: 'Timeout',
      message: 'no verdict after 90 s: still waiting (ContainerCreating); last event Pulling: Pulling image "pullproof-registry:5000/team-b/app:t-4f2a"',
    });
  });
});

// The pods and events below are built inline, each for one branch or default of pod-verdict.ts.
// Kubelet and scheduler texts follow their upstream format strings (cited where used); runtime
// error texts and the image reference are made up.
const IMAGE = 'pullproof-registry:5000/team-b/app:t-4f2a';
const SIDECAR_IMAGE = 'pullproof-registry:5000/team-b/sidecar:t-4f2a';

function containerStatus(name: string, state: V1ContainerState, lastState?: V1ContainerState): V1ContainerStatus {
  return { name, image: name === 'app' ? IMAGE : SIDECAR_IMAGE, imageID: '', ready: false, restartCount: 0, state, lastState };
}

function pod(phase: string, statuses: V1ContainerStatus[]): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: 'pp-inline' }, status: { phase, containerStatuses: statuses } };
}

/** An event on the pod as the API returns it; `fields` adds or overrides type, reason, message, times, count. */
function event(fields: Partial<CoreV1Event>): CoreV1Event {
  return { metadata: { name: 'app.18b2f1c0', namespace: 'pp-inline' }, involvedObject: { kind: 'Pod', name: 'app', namespace: 'pp-inline', fieldPath: 'spec.containers{app}' }, ...fields };
}

function at(second: number): Date {
  return new Date(Date.UTC(2026, 10, 28, 20, 40, second));
}

// k/k pkg/kubelet/images/image_manager.go: Normal `Pulled` "Container image %q already present on machine"
// (or "Successfully pulled image %q in %v"), Warning `Failed` "Failed to pull image %q: %v".
const pulledEvent = event({ type: 'Normal', reason: 'Pulled', message: `Container image "${IMAGE}" already present on machine`, lastTimestamp: at(1) });

describe('pod verdicts: container selection', () => {
  const twoContainers = pod('Pending', [
    containerStatus('sidecar', { waiting: { reason: 'ContainerCreating' } }),
    containerStatus('app', { running: { startedAt: at(5) } }),
  ]);

  it('judges the named container, not the first status, when a pod has several', () => {
    expect(podVerdict(twoContainers, [], 'app')).toStrictEqual({ kind: 'pulled', reason: 'Running' });
    expect(podVerdict(twoContainers, [], 'sidecar')).toBeUndefined();
  });

  it('judges the first status when no container is named', () => {
    expect(podVerdict(twoContainers, [])).toBeUndefined();
  });
});

describe('pod verdicts: pulled', () => {
  it('calls a terminated container pulled with reason Terminated', () => {
    const completed = pod('Running', [containerStatus('app', { terminated: { exitCode: 0, reason: 'Completed' } })]);
    expect(podVerdict(completed, [])).toStrictEqual({ kind: 'pulled', reason: 'Terminated' });
  });

  it('calls a Succeeded pod pulled from its phase alone when it reports no container status', () => {
    expect(podVerdict(pod('Succeeded', []), [])).toStrictEqual({ kind: 'pulled', reason: 'Succeeded' });
    expect(podVerdict(pod('Failed', []), [])).toBeUndefined();
  });

  // Reasons after the pull: k/k pkg/kubelet/kuberuntime/kuberuntime_container.go (ErrCreateContainer
  // "CreateContainerError"), k/k pkg/kubelet/container/sync_result.go (ErrRunContainer "RunContainerError",
  // ErrCrashLoopBackOff "CrashLoopBackOff"); the CrashLoopBackOff message is kuberuntime_manager.go's
  // "back-off %s restarting failed container=%s pod=%s".
  it.each([
    ['CreateContainerError', 'failed to generate container spec: no command specified'],
    ['RunContainerError', 'failed to create containerd task: exec: "nope": executable file not found in $PATH'],
    // kubelet normally also reports lastState.terminated here; without it only the Pulled event proves the pull.
    ['CrashLoopBackOff', 'back-off 10s restarting failed container=app pod=app_pp-inline(0c5e2a4d)'],
  ])('calls a container waiting on %s after a Pulled event pulled, with the waiting message', (reason, message) => {
    const failedAfterPull = pod('Pending', [containerStatus('app', { waiting: { reason, message } })]);
    expect(podVerdict(failedAfterPull, toPodEvents([pulledEvent]))).toStrictEqual({ kind: 'pulled', reason, message });
  });

  it('calls a container waiting on CreateContainerError without a message pulled, with no message key', () => {
    const failedAfterPull = pod('Pending', [containerStatus('app', { waiting: { reason: 'CreateContainerError' } })]);
    expect(podVerdict(failedAfterPull, toPodEvents([pulledEvent]))).toStrictEqual({ kind: 'pulled', reason: 'CreateContainerError' });
  });

  it('has no verdict for CreateContainerError while no Pulled event shows the image arrived', () => {
    const failed = pod('Pending', [containerStatus('app', { waiting: { reason: 'CreateContainerError', message: 'failed to generate container spec: no command specified' } })]);
    // k/k pkg/kubelet/kuberuntime/kuberuntime_container.go: Warning `Failed` "Error: %v" on a create failure.
    const withoutPulled = [
      event({ type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned pp-inline/app to pullproof-worker', lastTimestamp: at(0) }),
      event({ type: 'Warning', reason: 'Failed', message: 'Error: failed to generate container spec: no command specified', lastTimestamp: at(2) }),
    ];
    expect(podVerdict(failed, toPodEvents(withoutPulled))).toBeUndefined();
    expect(podVerdict(failed, [])).toBeUndefined();
  });
});

describe('pod verdicts: denied', () => {
  it("takes the pull error from the last kubelet Failed event that says \"Failed to pull image\", not from another reason's event", () => {
    const pullFailed = pod('Pending', [containerStatus('app', { waiting: { reason: 'ErrImagePull', message: 'waiting message (not used while an event has the text)' } })]);
    const events = [
      event({ type: 'Warning', reason: 'Failed', message: `Failed to pull image "${IMAGE}": 401 Unauthorized`, lastTimestamp: at(1) }),
      // k/k kuberuntime_container.go: `Failed` "Error: %v" follows, with the error's name only.
      event({ type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull', lastTimestamp: at(2) }),
      // Not kubelet's: an event of another reason that quotes an older pull error.
      event({ type: 'Warning', reason: 'Relayed', message: `Failed to pull image "${IMAGE}": an older error`, lastTimestamp: at(3) }),
    ];
    expect(podVerdict(pullFailed, toPodEvents(events))).toStrictEqual({ kind: 'denied', reason: 'ErrImagePull', message: `Failed to pull image "${IMAGE}": 401 Unauthorized` });
  });

  it("keeps ErrImageNeverPull's own waiting message although another container's pull failed in the same pod", () => {
    // k/k image_manager.go: "Container image %q is not present with pull policy of Never".
    const neverPull = `Container image "${IMAGE}" is not present with pull policy of Never`;
    const mixed = pod('Pending', [
      containerStatus('app', { waiting: { reason: 'ErrImageNeverPull', message: neverPull } }),
      containerStatus('sidecar', { waiting: { reason: 'ErrImagePull', message: 'sidecar: 401 Unauthorized' } }),
    ]);
    const events = [
      event({ type: 'Warning', reason: 'ErrImageNeverPull', message: neverPull, lastTimestamp: at(1) }),
      event({ type: 'Warning', reason: 'Failed', message: `Failed to pull image "${SIDECAR_IMAGE}": 401 Unauthorized`, lastTimestamp: at(2) }),
    ];
    expect(podVerdict(mixed, toPodEvents(events), 'app')).toStrictEqual({ kind: 'denied', reason: 'ErrImageNeverPull', message: neverPull });
  });
});

describe('toPodEvents', () => {
  it('fills an event without type, reason, message, time or count with Normal and empty texts, and no time or count', () => {
    expect(toPodEvents([event({})])).toStrictEqual([{ type: 'Normal', reason: '', message: '' }]);
  });

  it('keeps type, reason, message, count and the time as RFC 3339', () => {
    expect(toPodEvents([event({ type: 'Warning', reason: 'BackOff', message: `Back-off pulling image "${IMAGE}"`, lastTimestamp: at(7), count: 3 })])).toStrictEqual([
      { type: 'Warning', reason: 'BackOff', message: `Back-off pulling image "${IMAGE}"`, time: '2026-11-28T20:40:07.000Z', count: 3 },
    ]);
  });

  it('puts an event without a time before timed events, whichever order they come in', () => {
    const timed = event({ type: 'Normal', reason: 'Pulled', message: 'timed', lastTimestamp: at(1) });
    const untimed = event({ type: 'Normal', reason: 'Pulling', message: 'untimed' });
    const expected = [
      { type: 'Normal', reason: 'Pulling', message: 'untimed' },
      { type: 'Normal', reason: 'Pulled', message: 'timed', time: '2026-11-28T20:40:01.000Z' },
    ];
    expect(toPodEvents([timed, untimed])).toStrictEqual(expected);
    expect(toPodEvents([untimed, timed])).toStrictEqual(expected);
  });
});

describe('inconclusive', () => {
  it('names the phase as unknown and no event when there is no pod and no event', () => {
    expect(inconclusive(undefined, [], 90_000)).toStrictEqual({ kind: 'inconclusive', reason: 'Timeout', message: 'no verdict after 90 s: phase unknown' });
  });

  it('names the pod phase when its container is not waiting, and the last event', () => {
    const scheduled = pod('Pending', []);
    // k/k pkg/scheduler/schedule_one.go: Normal `Scheduled` "Successfully assigned %v/%v to %v".
    const events = toPodEvents([event({ type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned pp-inline/app to pullproof-worker', lastTimestamp: at(0) })]);
    expect(inconclusive(scheduled, events, 120_000)).toStrictEqual({
      kind: 'inconclusive',
      reason: 'Timeout',
      message: 'no verdict after 120 s: phase Pending; last event Scheduled: Successfully assigned pp-inline/app to pullproof-worker',
    });
  });

  it('names the waiting reason of the first container and ends without an event when there is none', () => {
    const creating = pod('Pending', [containerStatus('app', { waiting: { reason: 'ContainerCreating' } })]);
    expect(inconclusive(creating, [], 30_000)).toStrictEqual({ kind: 'inconclusive', reason: 'Timeout', message: 'no verdict after 30 s: still waiting (ContainerCreating)' });
  });
});

describe('comparing expectations with verdicts', () => {
  const pulled = { kind: 'pulled' } as const;
  const denied = { kind: 'denied', reason: 'ErrImagePull', message: 'server message: insufficient_scope: authorization failed' } as const;
  const never = { kind: 'denied', reason: 'ErrImageNeverPull', message: 'Container image "x" is not present with pull policy of Never' } as const;

  it('matches pulled with pulled and denied with a matching reason pattern', () => {
    expect(compare('pulled', pulled, true).outcome).toBe('match');
    expect(compare({ denied: /insufficient_scope/ }, denied, true).outcome).toBe('match');
    expect(compare({ denied: 'ErrImageNeverPull' }, never, true).outcome).toBe('match');
  });

  it('reports a pull where a denial was expected as a mismatch that says so', () => {
    const result = compare({ denied: /insufficient_scope/ }, pulled, true);
    expect(result).toEqual({ outcome: 'mismatch', note: 'expected denied matching /insufficient_scope/, but the pod pulled the image' });
  });

  it('reports a denial for the wrong reason as a mismatch', () => {
    const result = compare({ denied: /ErrImageNeverPull/ }, denied, true);
    expect(result.outcome).toBe('mismatch');
    expect(result.note).toContain('does not match /ErrImageNeverPull/');
  });

  it('never lets an inconclusive verdict pass', () => {
    for (const fate of ['pulled', 'vulnerable-if-gate-off', { denied: /.*/ }] as const) {
      expect(compare(fate, { kind: 'inconclusive', message: 'no verdict after 90 s' }, true).outcome).toBe('inconclusive');
    }
  });

  it('reports the KEP-2535 hole: with the gate off a started pod matches vulnerable-if-gate-off, with a note', () => {
    const off = compare('vulnerable-if-gate-off', pulled, false);
    expect(off.outcome).toBe('match');
    expect(off.note).toContain('known hole');
    expect(compare('vulnerable-if-gate-off', denied, true).outcome).toBe('match');
    expect(compare('vulnerable-if-gate-off', never, true).outcome).toBe('match');
    expect(compare('vulnerable-if-gate-off', pulled, true).outcome).toBe('mismatch');
  });

  it('does not count a denial for an unrelated reason as KEP-2535 re-verification', () => {
    const registryDown = { kind: 'denied', reason: 'ErrImagePull', message: 'dial tcp 172.18.0.3:5000: connect: connection refused' } as const;
    const result = compare('vulnerable-if-gate-off', registryDown, true);
    expect(result.outcome).toBe('mismatch');
    expect(result.note).toContain('not by re-verification');
  });
});
