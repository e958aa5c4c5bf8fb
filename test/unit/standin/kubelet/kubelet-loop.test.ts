import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubelet, type RunningKubelet } from '../../../../standin/kubelet/index.ts';
import { startFakeKubeApi, type FakeKubeApi } from './fake-kube-api.ts';

const FAKE_CTR = new URL('./fake-ctr.sh', import.meta.url).pathname;
const NODE = 'standin-worker';

let api: FakeKubeApi;
let state: string;
let lines: string[];
let kubelet: RunningKubelet | undefined;

beforeEach(async () => {
  api = await startFakeKubeApi();
  state = await mkdtemp(join(tmpdir(), 'pullproof-fake-ctr-'));
  process.env.FAKE_CTR_STATE = state;
  lines = [];
});

afterEach(async () => {
  await kubelet?.stop();
  kubelet = undefined;
  await api.close();
  await rm(state, { recursive: true, force: true });
});

async function start(extra: { credentialProvider?: { configPath: string; binDir: string }; version?: string } = {}): Promise<void> {
  kubelet = await startKubelet({
    nodeName: NODE,
    kubeconfig: api.kubeconfig,
    kubernetesVersion: extra.version ?? 'v1.34.8',
    featureGates: { KubeletServiceAccountTokenForCredentialProviders: true },
    containerd: { address: '/run/containerd/containerd.sock', namespace: 'k8s.io', hostsDir: '/etc/containerd/certs.d', ctrPath: FAKE_CTR },
    nodeIp: '172.20.0.3',
    nodeLabels: { 'pullproof.dev/role': 'worker' },
    log: (line) => lines.push(line),
    ...(extra.credentialProvider ? { credentialProvider: extra.credentialProvider } : {}),
    timing: { heartbeatMs: 100, backoffInitialMs: 600, backoffMaxMs: 5_000, backoffResyncMs: 150, rewatchMs: 100 },
  });
}

function pod(name: string, spec: Partial<NonNullable<V1Pod['spec']>> & { image?: string; imagePullPolicy?: string } = {}): V1Pod {
  const { image, imagePullPolicy, ...rest } = spec;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}` },
    spec: {
      nodeName: NODE,
      restartPolicy: 'Never',
      serviceAccountName: 'default',
      containers: [{ name: 'app', image: image ?? 'reg.example:5000/team/app:v1', imagePullPolicy: imagePullPolicy ?? 'Always', command: ['/bin/busybox', 'sleep', '3600'] }],
      ...rest,
    },
  };
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${api.events.map((e) => `${e.reason}: ${e.message}`).join(' | ')}; log: ${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const waiting = (name: string): { reason?: string; message?: string } | undefined => api.pods.get(`team-a/${name}`)?.status?.containerStatuses?.[0]?.state?.waiting;
const reasons = (name: string): string[] => api.events.filter((e) => e.involvedObject.name === name).map((e) => e.reason ?? '');

describe('stand-in kubelet against a fake API server and a fake ctr', () => {
  it('registers its node with the well-known labels and Ready as the last condition', async () => {
    await start();
    const node = api.nodes.get(NODE);
    expect(node?.metadata?.labels).toMatchObject({ 'kubernetes.io/hostname': NODE, 'kubernetes.io/os': 'linux', 'pullproof.dev/role': 'worker' });
    expect(node?.status?.addresses).toEqual([{ type: 'InternalIP', address: '172.20.0.3' }, { type: 'Hostname', address: NODE }]);
    expect(node?.status?.nodeInfo?.kubeletVersion).toBe('v1.34.8');
    const conditions = node?.status?.conditions ?? [];
    expect(conditions.map((c) => c.type)).toEqual(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);
    expect(conditions.at(-1)?.status).toBe('True');
  });

  it('pulls with the pull secret, starts the container and reports Running with kubelet events in order', async () => {
    await start();
    const auth = Buffer.from('alice:s3cret-pw').toString('base64');
    api.secrets.set('team-a/regcred', { metadata: { name: 'regcred', namespace: 'team-a' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'reg.example:5000': { auth } } })).toString('base64') } });
    await writeFile(join(state, 'pull-mode'), 'needs-user');
    api.addPod(pod('ok', { imagePullSecrets: [{ name: 'regcred' }] }));
    const running = await until('Running', () => api.pods.get('team-a/ok')?.status?.phase === 'Running' && api.pods.get('team-a/ok'));
    const cs = running.status?.containerStatuses?.[0];
    expect(cs?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(cs?.imageID).toBe(`reg.example:5000/team/app@sha256:${'a'.repeat(64)}`);
    expect(cs?.image).toBe('reg.example:5000/team/app:v1');
    expect([cs?.ready, cs?.started]).toEqual([true, true]);
    expect(running.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
    await until('Started event', () => reasons('ok').includes('Started'));
    expect(reasons('ok')).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
    const pulled = api.events.find((e) => e.reason === 'Pulled');
    expect(pulled?.message).toMatch(/^Successfully pulled image "reg\.example:5000\/team\/app:v1" in \d+(\.\d+)?m?s \(\d+(\.\d+)?m?s including waiting\)\. Image size: \d+ bytes\.$/);
    expect(pulled?.involvedObject).toMatchObject({ kind: 'Pod', name: 'ok', namespace: 'team-a', uid: 'uid-ok', fieldPath: 'spec.containers{app}' });
    expect(pulled?.source).toEqual({ component: 'kubelet', host: NODE });
    expect(pulled?.metadata?.name).toMatch(/^ok\.[0-9a-f]+$/);
    expect(await readFile(join(state, 'pulls'), 'utf8')).toBe('pull reg.example:5000/team/app:v1 user=alice:s3cret-pw\n');
    expect(api.statusPatches[0]?.contentType).toBe('application/strategic-merge-patch+json');
    expect(api.statusPatches[0]?.body.metadata).toEqual({ uid: 'uid-ok' });
    expect(lines.join('\n')).not.toContain('s3cret-pw');
  });

  it('reports a denied pull as kubelet does: CRI-wrapped Failed, Error: ErrImagePull, then BackOff and a retry', async () => {
    await start();
    await writeFile(join(state, 'pull-mode'), 'denied');
    api.addPod(pod('denied'));
    const ref = 'reg.example:5000/team/app:v1';
    const criText = `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to http://token.example/token: 401 Unauthorized`;
    await until('ErrImagePull', () => waiting('denied')?.reason === 'ErrImagePull');
    expect(waiting('denied')?.message).toBe(criText);
    const failed = api.events.filter((e) => e.reason === 'Failed').map((e) => `${e.type} ${e.message}`);
    expect(failed).toEqual([`Warning Failed to pull image "${ref}": ${criText}`, 'Warning Error: ErrImagePull']);
    await until('ImagePullBackOff', () => waiting('denied')?.reason === 'ImagePullBackOff');
    expect(waiting('denied')?.message).toBe(`Back-off pulling image "${ref}": ErrImagePull: ${criText}`);
    expect(api.events.find((e) => e.reason === 'BackOff')?.message).toBe(`Back-off pulling image "${ref}"`);
    expect(api.pods.get('team-a/denied')?.status?.phase).toBe('Pending');
    // First retry after the (shortened) initial back-off: a second real pull.
    await until('second pull attempt', () => readFileSync(join(state, 'pulls'), 'utf8').trim().split('\n').length >= 2);
  });

  it('keeps containerd NotFound as a gRPC NotFound error, which kubelet does not unwrap', async () => {
    await start();
    await writeFile(join(state, 'pull-mode'), 'notfound');
    api.addPod(pod('missing', { image: 'busybox:nope' }));
    await until('ErrImagePull', () => waiting('missing')?.reason === 'ErrImagePull');
    const ref = 'docker.io/library/busybox:nope';
    expect(waiting('missing')?.message).toBe(`rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`);
    expect(api.events.find((e) => e.reason === 'Pulling')?.message).toBe('Pulling image "busybox:nope"');
  });

  it('does not decide an IfNotPresent pod whose image is already on the node (KEP-2535 is not emulated)', async () => {
    await writeFile(join(state, 'images'), 'reg.example:5000/team/app:v1\n');
    await start();
    api.addPod(pod('cached', { imagePullPolicy: 'IfNotPresent' }));
    await until('StandinNotEmulated', () => waiting('cached')?.reason === 'StandinNotEmulated');
    expect(waiting('cached')?.message).toContain('KEP-2535');
    expect(reasons('cached')).not.toContain('Pulled');
    expect(await readFile(join(state, 'pulls'), 'utf8').catch(() => '')).toBe('');
  });

  it('refuses a Never pod whose image is absent with ErrImageNeverPull', async () => {
    await start();
    api.addPod(pod('never', { imagePullPolicy: 'Never' }));
    await until('ErrImageNeverPull', () => waiting('never')?.reason === 'ErrImageNeverPull');
    expect(waiting('never')?.message).toBe('Container image "reg.example:5000/team/app:v1" is not present with pull policy of Never');
    expect(api.events.map((e) => `${e.reason}: ${e.message}`)).toEqual(['ErrImageNeverPull: Container image "reg.example:5000/team/app:v1" is not present with pull policy of Never', 'Failed: Error: ErrImageNeverPull']);
  });

  it('reports a container that exits 3 as terminated and the Never pod as Failed', async () => {
    await writeFile(join(state, 'start-mode'), 'exit3');
    await start();
    api.addPod(pod('exits'));
    const done = await until('Failed', () => api.pods.get('team-a/exits')?.status?.phase === 'Failed' && api.pods.get('team-a/exits'));
    expect(done.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('reports a start failure as RunContainerError with the runtime message', async () => {
    await writeFile(join(state, 'start-mode'), 'fail');
    await start();
    api.addPod(pod('nostart'));
    await until('RunContainerError', () => waiting('nostart')?.reason === 'RunContainerError');
    expect(waiting('nostart')?.message).toContain('failed to create shim task');
    expect(api.events.at(-1)?.message).toMatch(/^Error: failed to create shim task/);
  });

  it('kills and removes the container when the pod is deleted, then finishes the deletion', async () => {
    await start();
    api.addPod(pod('bye'));
    await until('Running', () => api.pods.get('team-a/bye')?.status?.phase === 'Running');
    api.markDeleting('team-a', 'bye');
    await until('pod deleted', () => !api.pods.has('team-a/bye'));
    const calls = await readFile(join(state, 'calls'), 'utf8');
    expect(calls).toMatch(/tasks kill --signal SIGKILL [0-9a-f]{64}/);
    expect(calls).toMatch(/containers delete [0-9a-f]{64}/);
    expect(JSON.parse(api.deletes[0]?.body ?? '{}')).toMatchObject({ gracePeriodSeconds: 0, preconditions: { uid: 'uid-bye' } });
  });
});

describe('credential providers through the kubelet-exact runner', () => {
  async function providerSetup(): Promise<{ configPath: string; binDir: string }> {
    const binDir = join(state, 'bin');
    await mkdir(binDir);
    // A plugin that records its request and returns the token-derived credential.
    const plugin = join(binDir, 'test-provider');
    await writeFile(plugin, `#!/bin/bash\ncat > "${state}/plugin-request"\necho '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"0s","auth":{"reg.example:5000":{"username":"robot","password":"plugin-pw"}}}'\n`);
    await chmod(plugin, 0o755);
    const configPath = join(state, 'config.yaml');
    await writeFile(configPath, `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: test-provider
    matchImages: ["reg.example:5000"]
    defaultCacheDuration: "0s"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    tokenAttributes:
      serviceAccountTokenAudience: registry-audience
      cacheType: ServiceAccount
      requireServiceAccount: true
`);
    return { configPath, binDir };
  }

  it('mints the token with a TokenRequest bound to the pod and pulls with the plugin credential', async () => {
    const credentialProvider = await providerSetup();
    api.serviceAccounts.set('team-a/default', { metadata: { name: 'default', namespace: 'team-a', uid: 'sa-uid' } });
    await writeFile(join(state, 'pull-mode'), 'needs-user');
    await start({ credentialProvider });
    api.addPod(pod('plugin'));
    await until('Running', () => api.pods.get('team-a/plugin')?.status?.phase === 'Running');
    expect(api.tokenRequests).toHaveLength(1);
    const spec = api.tokenRequests[0]?.body.spec;
    expect(spec?.audiences).toEqual(['registry-audience']);
    expect(spec?.boundObjectRef).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'plugin', uid: 'uid-plugin' });
    expect(spec?.expirationSeconds).toBeUndefined();
    const request = JSON.parse(await readFile(join(state, 'plugin-request'), 'utf8')) as { image: string; serviceAccountToken: string };
    expect(request.image).toBe('reg.example:5000/team/app');
    expect(request.serviceAccountToken).toMatch(/^eyJ/);
    expect(await readFile(join(state, 'pulls'), 'utf8')).toBe('pull reg.example:5000/team/app:v1 user=robot:plugin-pw\n');
    expect(lines.some((l) => / plugin\.go:0\] Getting image reg\.example:5000\/team\/app credentials from external exec plugin test-provider$/.test(l) && l.startsWith('I'))).toBe(true);
    expect(lines.join('\n')).not.toContain('plugin-pw');
    expect(lines.join('\n')).not.toContain('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0');
  });

  it('logs a forbidden TokenRequest as kubelet does and pulls without the plugin', async () => {
    const credentialProvider = await providerSetup();
    api.serviceAccounts.set('team-a/default', { metadata: { name: 'default', namespace: 'team-a', uid: 'sa-uid' } });
    api.tokenForbidden = 'serviceaccounts "default" is forbidden: audience "registry-audience" not found in pod spec volume, system:node:standin-worker is not authorized to request tokens for this audience';
    await writeFile(join(state, 'pull-mode'), 'denied');
    await start({ credentialProvider });
    api.addPod(pod('forbidden'));
    await until('ErrImagePull', () => waiting('forbidden')?.reason === 'ErrImagePull');
    const line = lines.find((l) => l.includes('Error getting service account token'));
    expect(line).toMatch(/^E\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ plugin\.go:0\] Error getting service account token team-a\/default: failed to fetch token: serviceaccounts "default" is forbidden: audience "registry-audience" not found in pod spec volume, system:node:standin-worker is not authorized to request tokens for this audience$/);
    expect(await readFile(join(state, 'pulls'), 'utf8')).toMatch(/^pull reg\.example:5000\/team\/app:v1 user=\n/);
    await expect(readFile(join(state, 'plugin-request'), 'utf8')).rejects.toThrow();
  });

  it('logs a missing service account as kubelet does and runs no plugin', async () => {
    const credentialProvider = await providerSetup();
    await start({ credentialProvider });
    api.addPod(pod('nosa'));
    await until('a pull', () => waiting('nosa')?.reason === 'ErrImagePull' || api.pods.get('team-a/nosa')?.status?.phase === 'Running');
    expect(lines.some((l) => l.startsWith('E') && l.endsWith('] Failed to get service account team-a/default: serviceaccounts "default" not found'))).toBe(true);
    expect(api.tokenRequests).toHaveLength(0);
  });
});
