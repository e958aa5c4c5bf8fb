import { describe, expect, it } from 'vitest';
import { PullSecretError, pullSecretKeyring } from '../../../../harness/conformance/docker-keyring.ts';
import {
  aggregateErrors, backOffMessage, backoffSchedule, buildEvent, buildPodStatus, cachedImageMessage, containerEvents, criPullError, effectivePullPolicy,
  imageEvents, klogLine, nextBackoff, nodeConditions, parseImagesList, parseKubeadmConfig, podPhase, pullSecretInputs, pullDuration, type ContainerState,
} from '../../../../standin/kubelet/index.ts';
import { imageRepository } from '../../../../harness/conformance/image-name.ts';

// The captured kind configs (reference kind-standin-node.md §4), trimmed to the documents the kubelet reads.
const V1BETA3 = `apiVersion: kubeadm.k8s.io/v1beta3
clusterName: standin-1337-map
controlPlaneEndpoint: standin-1337-map-control-plane:6443
kind: ClusterConfiguration
kubernetesVersion: v1.33.7
---
apiVersion: kubeadm.k8s.io/v1beta3
bootstrapTokens:
- token: abcdef.0123456789abcdef
kind: InitConfiguration
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    image-credential-provider-bin-dir: /etc/pullproof/bin
    image-credential-provider-config: /etc/pullproof/credential-provider-config.yaml
    node-ip: 172.20.0.3
    node-labels: ""
    provider-id: kind://docker/standin-1337-map/standin-1337-map-control-plane
---
apiVersion: kubeadm.k8s.io/v1beta3
discovery:
  bootstrapToken:
    apiServerEndpoint: standin-1337-map-control-plane:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
kind: JoinConfiguration
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    image-credential-provider-bin-dir: /etc/pullproof/bin
    image-credential-provider-config: /etc/pullproof/credential-provider-config.yaml
    node-ip: 172.20.0.3
    node-labels: ""
    provider-id: kind://docker/standin-1337-map/standin-1337-map-control-plane
---
apiVersion: kubelet.config.k8s.io/v1beta1
cgroupDriver: systemd
featureGates:
  KubeletServiceAccountTokenForCredentialProviders: true
kind: KubeletConfiguration
`;
const V1BETA4_JOIN = `apiVersion: kubeadm.k8s.io/v1beta4
discovery:
  bootstrapToken:
    apiServerEndpoint: standin-1370-list-control-plane:6443
    token: abcdef.0123456789abcdef
kind: JoinConfiguration
nodeRegistration:
  kubeletExtraArgs:
  - name: node-ip
    value: 172.20.0.4
  - name: node-labels
    value: "tier=edge,pullproof.dev/x=1"
  - name: image-credential-provider-config
    value: /etc/pullproof/credential-provider-config.yaml
  - name: image-credential-provider-bin-dir
    value: /etc/pullproof/bin
---
apiVersion: kubelet.config.k8s.io/v1beta1
featureGates:
  KubeletServiceAccountTokenForCredentialProviders: true
  KubeletEnsureSecretPulledImages: false
imagePullCredentialsVerificationPolicy: AlwaysVerify
kind: KubeletConfiguration
`;

describe('parseKubeadmConfig on kind-written kubeadm.conf', () => {
  it('reads the v1beta3 map form of kubeletExtraArgs', () => {
    const c = parseKubeadmConfig(V1BETA3);
    expect(c).toMatchObject({
      controlPlaneEndpoint: 'standin-1337-map-control-plane:6443', bootstrapToken: 'abcdef.0123456789abcdef', kubernetesVersion: 'v1.33.7', nodeIp: '172.20.0.3',
      imageCredentialProviderConfig: '/etc/pullproof/credential-provider-config.yaml', imageCredentialProviderBinDir: '/etc/pullproof/bin',
      nodeLabels: {}, featureGates: { KubeletServiceAccountTokenForCredentialProviders: true }, imagePullCredentialsVerificationPolicy: undefined,
    });
  });
  it('reads the v1beta4 list form, node labels and the KEP-2535 policy', () => {
    const c = parseKubeadmConfig(V1BETA4_JOIN);
    expect(c.controlPlaneEndpoint).toBe('standin-1370-list-control-plane:6443');
    expect(c.nodeIp).toBe('172.20.0.4');
    expect(c.nodeLabels).toEqual({ tier: 'edge', 'pullproof.dev/x': '1' });
    expect(c.featureGates).toEqual({ KubeletServiceAccountTokenForCredentialProviders: true, KubeletEnsureSecretPulledImages: false });
    expect(c.imagePullCredentialsVerificationPolicy).toBe('AlwaysVerify');
  });
  it('says which file is wrong when the YAML is broken', () => {
    expect(() => parseKubeadmConfig('kind: [')).toThrow('/kind/kubeadm.conf could not be read');
  });
});

describe('kubelet event texts (image_manager.go, kuberuntime_container.go)', () => {
  it('quotes the spec image verbatim and prints Go durations truncated to ms', () => {
    expect(imageEvents.pulling('busybox:1.36').message).toBe('Pulling image "busybox:1.36"');
    expect(imageEvents.pulled('busybox:1.36', 313.9, 1594.2, 2_153_472).message).toBe('Successfully pulled image "busybox:1.36" in 313ms (1.594s including waiting). Image size: 2153472 bytes.');
    expect(pullDuration(62_500)).toBe('1m2.5s');
    expect(imageEvents.failed('x:1', 'boom')).toEqual({ type: 'Warning', reason: 'Failed', message: 'Failed to pull image "x:1": boom' });
    expect(containerEvents.error('ErrImagePull')).toEqual({ type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' });
    expect(imageEvents.neverPull('x:1').message).toBe('Container image "x:1" is not present with pull policy of Never');
    expect(containerEvents.created('app').message).toBe('Created container: app');
    expect(containerEvents.started('app').message).toBe('Started container app');
    expect(backOffMessage('x:1', 'ErrImagePull', 'denied')).toBe('Back-off pulling image "x:1": ErrImagePull: denied');
  });
  it('builds the event object client-go writes (§1.4)', () => {
    const pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u1', resourceVersion: '7' }, spec: { containers: [{ name: 'app', image: 'x' }] } };
    const now = new Date('2025-12-02T15:04:05.123Z');
    const e = buildEvent(pod, 'app', imageEvents.pulling('x'), 'node-1', now);
    expect(e.metadata?.name).toBe(`p.${(BigInt(now.getTime()) * 1_000_000n).toString(16)}`);
    expect(e).toMatchObject({
      involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: 'ns', name: 'p', uid: 'u1', resourceVersion: '7', fieldPath: 'spec.containers{app}' },
      source: { component: 'kubelet', host: 'node-1' }, reportingComponent: 'kubelet', reportingInstance: 'node-1', count: 1, firstTimestamp: now, lastTimestamp: now,
    });
    // Same millisecond, distinct names.
    expect(buildEvent(pod, 'app', imageEvents.pulling('x'), 'node-1', now).metadata?.name).not.toBe(e.metadata?.name);
  });
  it('says the cached-image decision is not made, and why', () => {
    expect(cachedImageMessage('x:1', 'IfNotPresent')).toContain('KEP-2535 pulled-image records');
  });
});

describe('pod status (kubelet_pods.go getPhase, generateAPIPodStatus)', () => {
  const pod = { metadata: { name: 'p', uid: 'u' }, spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'x:1' }] } };
  const now = new Date('2025-01-01T00:00:00Z');
  it('is Pending with ContainerCreating before any start, Ready last-but-one with ContainersNotReady', () => {
    const s = buildPodStatus({ pod, states: new Map(), hostIP: '10.0.0.1', startTime: now, previous: [], now });
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses[0]).toMatchObject({ name: 'app', image: 'x:1', imageID: '', ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } });
    expect(s.conditions.map((c) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    expect(s.conditions[2]).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' });
  });
  it('is Running with all five conditions True and keeps unchanged transition times', () => {
    const running: ContainerState = { kind: 'running', startedAt: now, image: 'docker.io/library/x:1', imageID: 'docker.io/library/x@sha256:ab', containerID: 'containerd://c' };
    const first = buildPodStatus({ pod, states: new Map([['app', running]]), hostIP: undefined, startTime: now, previous: [], now });
    const later = buildPodStatus({ pod, states: new Map([['app', running]]), hostIP: undefined, startTime: now, previous: first.conditions, now: new Date('2025-01-01T00:05:00Z') });
    expect(later.phase).toBe('Running');
    expect(later.conditions.every((c) => c.status === 'True' && c.lastTransitionTime === '2025-01-01T00:00:00Z')).toBe(true);
    expect(later.containerStatuses[0]).toMatchObject({ started: true, ready: true, containerID: 'containerd://c', state: { running: { startedAt: '2025-01-01T00:00:00Z' } } });
  });
  it('decides the phase of finished containers by restart policy', () => {
    const t = (exitCode: number): ContainerState => ({ kind: 'terminated', exitCode, startedAt: now, finishedAt: now, image: '', imageID: '', containerID: '' });
    expect(podPhase([t(0)], 'Never')).toBe('Succeeded');
    expect(podPhase([t(1)], 'Never')).toBe('Failed');
    expect(podPhase([t(1)], 'OnFailure')).toBe('Running');
    expect(podPhase([t(0)], 'Always')).toBe('Running');
    expect(podPhase([t(0), { kind: 'waiting', reason: 'ErrImagePull' }], 'Never')).toBe('Pending');
  });
});

describe('image back-off (flowcontrol.Backoff via image_manager.go)', () => {
  it('waits 10 s first, doubles, and caps at 300 s', () => {
    expect(backoffSchedule(8).map((ms) => ms / 1000)).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
  });
  it('starts over once the entry is older than twice the cap', () => {
    const e = nextBackoff(nextBackoff(undefined, 0), 1);
    expect(e.delayMs).toBe(20_000);
    expect(nextBackoff(e, 1 + 600_001).delayMs).toBe(10_000);
  });
});

describe('CRI error text from ctr output', () => {
  const ref = 'reg:5000/a:1';
  it('wraps a resolve failure as the CRI plugin does, Unknown code stripped by kubelet', () => {
    expect(criPullError(ref, `ctr: failed to resolve reference "${ref}": failed to authorize: failed to fetch oauth token: unexpected status from GET request to http://t/token: 401 Unauthorized`)).toBe(
      `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": failed to authorize: failed to fetch oauth token: unexpected status from GET request to http://t/token: 401 Unauthorized`,
    );
  });
  it('keeps ctr text it cannot map to a cited CRI wrapping', () => {
    expect(criPullError(ref, 'failed to extract layer sha256:aa: operation not supported: unknown')).toBe('failed to extract layer sha256:aa: operation not supported: unknown');
  });
  it('aggregates per-credential failures like apimachinery Aggregate', () => {
    expect(aggregateErrors(['a'])).toBe('a');
    expect(aggregateErrors(['a', 'a'])).toBe('a');
    expect(aggregateErrors(['a', 'b', 'a'])).toBe('[a, b]');
  });
});

describe("the pod's pull secrets as kubelet's keyring reads them (credentialprovider/secrets, keyring.go)", () => {
  const secret = (name: string, auths: Record<string, unknown>) => ({
    metadata: { name, namespace: 'team-a' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
  });
  it('looks up with the normalised repository, more specific paths first, across secrets', () => {
    const keyring = pullSecretKeyring(pullSecretInputs([
      secret('broad', { 'reg.example:5000': { username: 'broad', password: 'p1' } }),
      secret('narrow', { 'reg.example:5000/team': { auth: Buffer.from('narrow:p2').toString('base64') } }),
    ]));
    const matches = keyring?.lookup(imageRepository('reg.example:5000/team/app:v1')) ?? [];
    expect(matches.map((m) => `${m.value.secret}:${m.value.username}`)).toEqual(['team-a/narrow:narrow', 'team-a/broad:broad']);
  });
  it('finds Docker Hub credentials for a short image name', () => {
    const keyring = pullSecretKeyring(pullSecretInputs([secret('hub', { 'https://index.docker.io/v1/': { username: 'u', password: 'p' } })]));
    expect(keyring?.lookup(imageRepository('busybox:1.36')).map((m) => m.value.username)).toEqual(['u']);
  });
  it('skips secrets that are not pull secrets, and fails on one whose auth is not base64(user:password)', () => {
    expect(pullSecretInputs([{ metadata: { name: 'opaque' }, type: 'Opaque', data: {} }])).toEqual([]);
    expect(() => pullSecretKeyring(pullSecretInputs([secret('bad', { 'r.io': { auth: Buffer.from('nocolon').toString('base64') } })]))).toThrow(PullSecretError);
  });
});

describe('small edges', () => {
  it('formats klog headers', () => {
    expect(klogLine('E', 'plugin.go', 'boom', new Date('2025-12-02T15:04:05.123Z'), 1234)).toBe('E1202 15:04:05.123000    1234 plugin.go:0] boom');
  });
  it('defaults the pull policy as the API server does', () => {
    expect(effectivePullPolicy({ name: 'a', image: 'x' })).toBe('Always');
    expect(effectivePullPolicy({ name: 'a', image: 'x:latest' })).toBe('Always');
    expect(effectivePullPolicy({ name: 'a', image: 'x:1' })).toBe('IfNotPresent');
    expect(effectivePullPolicy({ name: 'a', image: 'x:1', imagePullPolicy: 'Never' })).toBe('Never');
  });
  it('puts Ready last among node conditions', () => {
    expect(nodeConditions(new Date(), new Date()).map((c) => c.type).at(-1)).toBe('Ready');
  });
  it('parses ctr images ls rows whose SIZE has a space', () => {
    const d = `sha256:${'b'.repeat(64)}`;
    expect(parseImagesList(`REF TYPE DIGEST SIZE PLATFORMS LABELS\ndocker.io/library/x:1 application/vnd.oci.image.index.v1+json ${d} 776.5 KiB linux/amd64 -\n`)).toEqual([{ ref: 'docker.io/library/x:1', mediaType: 'application/vnd.oci.image.index.v1+json', digest: d }]);
  });
});
