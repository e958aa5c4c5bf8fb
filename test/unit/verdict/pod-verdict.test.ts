import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
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

  it('calls a succeeded pod and a container that restarted after starting pulled', () => {
    expect(verdictOf('succeeded')?.kind).toBe('pulled');
    expect(verdictOf('restarted-after-start')?.kind).toBe('pulled');
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
    expect(verdictOf('create-container-error-after-pull')).toMatchObject({ kind: 'pulled', reason: 'CreateContainerError' });
  });

  it('sorts events oldest first', () => {
    const { events } = synthetic('running');
    expect(toPodEvents([...events].reverse()).map((e) => e.reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('turns a timeout into an inconclusive verdict that names the last state and event', () => {
    const { pod, events } = synthetic('container-creating');
    const verdict = inconclusive(pod, toPodEvents(events), 90_000);
    expect(verdict.kind).toBe('inconclusive');
    expect(verdict.message).toBe('no verdict after 90 s: still waiting (ContainerCreating); last event Pulling: Pulling image "pullproof-registry:5000/team-b/app:t-4f2a"');
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
