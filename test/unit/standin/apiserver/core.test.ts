import { CoreV1Api, Watch, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, sleep, startPlain, until, type Harness } from './support.ts';

let h: Harness;
let core: CoreV1Api;

beforeAll(async () => {
  h = await startPlain();
  core = h.kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await h.close();
});

async function namespaceWithDefaultAccount(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  await until(() => core.readNamespacedServiceAccount({ namespace: name, name: 'default' }).catch(() => undefined));
}

const readyNode = (name: string, taints: { key: string; value?: string; effect: string }[] = [], ready = 'True') => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: { taints },
  status: { conditions: [{ type: 'Ready', status: ready, reason: 'KubeletReady', message: 'kubelet is posting ready status' }] },
});

describe('stand-in API server: objects, errors and controllers through client-node', () => {
  it('creates, reads and lists with real metadata, and 409s a duplicate with the exact Status', async () => {
    const ns = await core.createNamespace({ body: { metadata: { name: 'crud', labels: { team: 'a' } } } });
    expect(ns.status?.phase).toBe('Active');
    expect(ns.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(ns.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(ns.metadata?.labels).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'crud' });
    const sa = await core.createNamespacedServiceAccount({ namespace: 'crud', body: { metadata: { name: 'puller', annotations: { a: 'b' } } } });
    expect(Number(sa.metadata?.resourceVersion)).toBeGreaterThan(Number(ns.metadata?.resourceVersion));
    const dup = await apiError(core.createNamespacedServiceAccount({ namespace: 'crud', body: { metadata: { name: 'puller' } } }));
    expect(dup.code).toBe(409);
    expect(dup.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'serviceaccounts "puller" already exists', reason: 'AlreadyExists', details: { name: 'puller', kind: 'serviceaccounts' }, code: 409 });
    const secret = await core.createNamespacedSecret({ namespace: 'crud', body: { metadata: { generateName: 'pull-' }, stringData: { k: 'v' } } });
    expect(secret.metadata?.name).toMatch(/^pull-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(secret.data).toEqual({ k: Buffer.from('v').toString('base64') });
    expect(secret.type).toBe('Opaque');
  });

  it('answers NotFound with the plural resource in details.kind', async () => {
    const missing = await apiError(core.readNamespacedServiceAccount({ namespace: 'crud', name: 'nobody' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ message: 'serviceaccounts "nobody" not found', reason: 'NotFound', details: { name: 'nobody', kind: 'serviceaccounts' }, code: 404 });
    const noNs = await apiError(core.createNamespacedSecret({ namespace: 'absent', body: { metadata: { name: 's' } } }));
    expect(noNs.code).toBe(404);
    expect(noNs.body.message).toBe('namespaces "absent" not found');
  });

  it('rejects invalid names and pods without images with 422 and apimachinery causes', async () => {
    const bad = await apiError(core.createNamespace({ body: { metadata: { name: 'Bad.Name' } } }));
    expect(bad.code).toBe(422);
    expect(bad.body.details).toEqual({
      name: 'Bad.Name',
      kind: 'Namespace',
      causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "Bad.Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')` }],
    });
    expect(bad.body.message).toMatch(/^Namespace "Bad.Name" is invalid: metadata.name: Invalid value: "Bad.Name": a lowercase RFC 1123 label/);
    await namespaceWithDefaultAccount('valid');
    const pod = await apiError(core.createNamespacedPod({ namespace: 'valid', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: '' }, { name: 'Two', image: 'x' }] } } }));
    expect(pod.code).toBe(422);
    expect(pod.body.details?.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
      expect.objectContaining({ reason: 'FieldValueInvalid', field: 'spec.containers[1].name' }),
    ]);
    expect(pod.body.message).toMatch(/^Pod "p" is invalid: \[spec.containers\[0\].image: Required value, spec.containers\[1\].name: Invalid value: "Two": /);
  });

  it('creates the default service account only after a delay', async () => {
    await core.createNamespace({ body: { metadata: { name: 'later' } } });
    const early = await apiError(core.readNamespacedServiceAccount({ namespace: 'later', name: 'default' }));
    expect(early.body.message).toBe('serviceaccounts "default" not found');
    await sleep(350);
    expect((await core.readNamespacedServiceAccount({ namespace: 'later', name: 'default' })).metadata?.name).toBe('default');
  });

  it('refuses a pod whose default service account never appears, after the admission retries', async () => {
    await namespaceWithDefaultAccount('nosa');
    await core.deleteNamespacedServiceAccount({ namespace: 'nosa', name: 'default' });
    const started = Date.now();
    // The controller re-creates `default` 200–300 ms later; the retries (100–199 ms apart, 10 tries) usually find it.
    const pod = await core.createNamespacedPod({ namespace: 'nosa', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } });
    expect(pod.spec?.serviceAccountName).toBe('default');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    const denied = await apiError(core.createNamespacedPod({ namespace: 'nosa', body: { metadata: { name: 'q' }, spec: { serviceAccountName: 'ghost', containers: [{ name: 'app', image: 'busybox' }] } } }));
    expect(denied.code).toBe(403);
    expect(denied.body).toMatchObject({ reason: 'Forbidden', message: 'pods "q" is forbidden: error looking up service account nosa/ghost: serviceaccount "ghost" not found', details: { name: 'q', kind: 'pods' } });
  });

  it('answers 403 after ~1-2 s of retries when the default account is missing for good', async () => {
    const slow = await startPlain({ defaultServiceAccountDelayMs: [60_000, 60_000] });
    try {
      const c = slow.kc.makeApiClient(CoreV1Api);
      await c.createNamespace({ body: { metadata: { name: 'empty' } } });
      const started = Date.now();
      const denied = await apiError(c.createNamespacedPod({ namespace: 'empty', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } }));
      const elapsed = Date.now() - started;
      expect(denied.code).toBe(403);
      expect(denied.body.message).toBe('pods "p" is forbidden: error looking up service account empty/default: serviceaccount "default" not found');
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(2500);
    } finally {
      await slow.close();
    }
  });

  it('defaults a pod like admission does and schedules it onto the tolerating Ready node only', async () => {
    await namespaceWithDefaultAccount('sched');
    await core.createNode({ body: readyNode('cp', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]) });
    await core.createNode({ body: readyNode('notready', [], 'False') });
    await core.createNode({ body: readyNode('worker') });
    const pod = await core.createNamespacedPod({ namespace: 'sched', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'registry:5000/x:latest' }, { name: 'b', image: 'registry:5000/x:1' }] } } });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, enableServiceLinks: true, priority: 0, serviceAccountName: 'default' });
    expect(pod.spec?.containers.map((c) => c.imagePullPolicy)).toEqual(['Always', 'IfNotPresent']);
    expect(pod.spec?.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    const volume = pod.spec?.volumes?.[0];
    expect(volume?.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.spec?.containers[0]?.volumeMounts).toEqual([{ name: volume?.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    const bound = await until(async () => {
      const p = await core.readNamespacedPod({ namespace: 'sched', name: 'p' });
      return p.spec?.nodeName ? p : undefined;
    });
    expect(bound.spec?.nodeName).toBe('worker');
    expect(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    const events = await core.listNamespacedEvent({ namespace: 'sched', fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=p' });
    expect(events.items.map((e) => [e.reason, e.message])).toEqual([['Scheduled', 'Successfully assigned sched/p to worker']]);

    const picky = await core.createNamespacedPod({ namespace: 'sched', body: { metadata: { name: 'picky' }, spec: { nodeSelector: { zone: 'nowhere' }, containers: [{ name: 'app', image: 'x' }] } } });
    expect(picky.metadata?.name).toBe('picky');
    const unschedulable = await until(async () => (await core.readNamespacedPod({ namespace: 'sched', name: 'picky' })).status?.conditions?.find((c) => c.type === 'PodScheduled'));
    expect(unschedulable).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(unschedulable.message).toBe("0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
  });

  it('streams ADDED, MODIFIED and DELETED for a pod watched by name, as the pod watch does', async () => {
    await namespaceWithDefaultAccount('watched');
    const seen: string[] = [];
    const watch = new Watch(h.kc);
    const controller = await watch.watch('/api/v1/namespaces/watched/pods', { fieldSelector: 'metadata.name=w' }, (type: string, obj: V1Pod) => seen.push(`${type}:${obj.metadata?.name ?? ''}`), () => undefined);
    await core.createNamespacedPod({ namespace: 'watched', body: { metadata: { name: 'other' }, spec: { containers: [{ name: 'app', image: 'x' }] } } });
    await core.createNamespacedPod({ namespace: 'watched', body: { metadata: { name: 'w' }, spec: { nodeName: 'worker', terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'x' }] } } });
    // client-node's patch methods send application/json-patch+json by default.
    await core.patchNamespacedPodStatus({ namespace: 'watched', name: 'w', body: [{ op: 'replace', path: '/status/phase', value: 'Running' }] });
    await core.deleteNamespacedPod({ namespace: 'watched', name: 'w' });
    await until(() => (seen.length >= 3 ? true : undefined));
    controller.abort();
    expect(seen).toEqual(['ADDED:w', 'MODIFIED:w', 'DELETED:w']);
    await expect(core.readNamespacedPod({ namespace: 'watched', name: 'w' })).rejects.toMatchObject({ code: 404 });
  });

  it('answers a watch from a too-old resourceVersion with an ERROR 410 Expired event', async () => {
    const res = await fetch(`${h.server.url}/api/v1/namespaces?watch=true&resourceVersion=-5`, { headers: { authorization: 'Bearer abcdef.0123456789abcdef' } });
    const line = JSON.parse((await res.text()).trim()) as { type: string; object: { code: number; reason: string } };
    expect(res.status).toBe(200);
    expect(line).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('deletes a namespace asynchronously with its contents, then lets the name be reused', async () => {
    await namespaceWithDefaultAccount('gone');
    await core.createNamespacedSecret({ namespace: 'gone', body: { metadata: { name: 's' } } });
    const terminating = await core.deleteNamespace({ name: 'gone' });
    // client-node types deleteNamespace as returning V1Status; kube-apiserver answers with the Namespace.
    expect((terminating as unknown as { status?: { phase?: string } }).status?.phase).toBe('Terminating');
    const blocked = await apiError(core.createNamespacedSecret({ namespace: 'gone', body: { metadata: { name: 't' } } }));
    expect(blocked.code).toBe(403);
    expect(blocked.body.message).toBe('secrets "t" is forbidden: unable to create new content in namespace gone because it is being terminated');
    await until(() => core.readNamespace({ name: 'gone' }).then(() => undefined, (e: { code?: number }) => (e.code === 404 ? true : undefined)));
    await core.createNamespace({ body: { metadata: { name: 'gone' } } });
    await expect(core.readNamespacedSecret({ namespace: 'gone', name: 's' })).rejects.toMatchObject({ code: 404 });
  });

  it('409s an update from a stale resourceVersion', async () => {
    await namespaceWithDefaultAccount('upd');
    const sa = await core.createNamespacedServiceAccount({ namespace: 'upd', body: { metadata: { name: 'a' } } });
    await core.replaceNamespacedServiceAccount({ namespace: 'upd', name: 'a', body: { ...sa, metadata: { ...sa.metadata, labels: { x: '1' } } } });
    const stale = await apiError(core.replaceNamespacedServiceAccount({ namespace: 'upd', name: 'a', body: { ...sa, metadata: { ...sa.metadata, labels: { x: '2' } } } }));
    expect(stale.code).toBe(409);
    expect(stale.body.message).toBe('Operation cannot be fulfilled on serviceaccounts "a": the object has been modified; please apply your changes to the latest version and try again');
  });
});
