import { describe, expect, it } from 'vitest';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import { instantiate } from '../../../harness/runner/instantiate.ts';
import { namespaceManifests, podManifest, pullSecretManifests, pullSecretName, serviceAccountManifests } from '../../../harness/runner/manifests.ts';
import { defineScenario } from '../../../harness/scenario/define.ts';

/**
 * The objects a scenario becomes, written out whole. The scenario here sets no pull policy on
 * purpose: the default is what is under test (a built-in scenario that sets `Always` itself proves
 * nothing about the default).
 */

const context = { runId: 'run1', kubernetes: kubernetesVersion('1.35'), registryHost: 'pullproof-registry:5000', tokenServiceUrl: 'http://172.18.0.1:45651' };

const noPolicy = defineScenario({
  name: 'default-pull-policy',
  summary: 'Pods without a pull policy.',
  property: 'The default pull policy never lets a verdict rest on a cached image.',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [
    { namespace: 'team-a', name: 'puller', annotations: { 'example.com/team': 'a' } },
    { namespace: 'team-b', name: 'other' },
  ],
  registry: {
    grants: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['team-a/*'], actions: ['pull'] }],
    pullSecretUsers: [{ name: 'robot', repositories: ['team-a/*'] }],
  },
  images: ['team-a/app'],
  pods: [
    { name: 'plain', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app' },
    { name: 'with-secret', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', imagePullSecret: 'robot' },
    { name: 'same-secret', namespace: 'team-a', serviceAccount: 'default', image: 'team-a/app', imagePullSecret: 'robot' },
    { name: 'elsewhere', namespace: 'team-b', serviceAccount: 'other', image: 'team-a/app', imagePullSecret: 'robot' },
  ],
  expect: { plain: 'pulled', 'with-secret': 'pulled', 'same-secret': 'pulled', elsewhere: 'pulled' },
});

const instance = instantiate(noPolicy, context, (name) => `pw-${name}`);
const pod = (name: string) => {
  const found = instance.pods.find((p) => p.name === name);
  if (!found) throw new Error(`no pod ${name}`);
  return found;
};
const ns = (logical: string): string => instance.namespaces.get(logical) ?? '';

describe('pod manifests', () => {
  it('pulls with Always when the scenario names no pull policy', () => {
    expect(pod('plain').pullPolicy).toBeUndefined();
    expect(podManifest(pod('plain'), instance).spec?.containers).toEqual([{ name: 'app', image: pod('plain').imageRef, imagePullPolicy: 'Always' }]);
  });

  it('is exactly one container, never restarted, no grace period, labelled with the scenario', () => {
    expect(podManifest(pod('plain'), instance)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'plain', namespace: ns('team-a'), labels: { 'pullproof.dev/scenario': 'default-pull-policy' } },
      spec: {
        serviceAccountName: 'puller',
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'app', image: pod('plain').imageRef, imagePullPolicy: 'Always' }],
      },
    });
  });

  it('pins the pod to a node only when told, and names its pull secret only when it has one', () => {
    const pinned = podManifest(pod('with-secret'), instance, 'pullproof-worker');
    expect(pinned.spec).toMatchObject({ nodeName: 'pullproof-worker', imagePullSecrets: [{ name: 'pullproof-robot' }] });
    const plain = podManifest(pod('plain'), instance, '');
    expect(Object.keys(plain.spec ?? {}).sort()).toEqual(['containers', 'restartPolicy', 'serviceAccountName', 'terminationGracePeriodSeconds']);
  });

  it('keeps a pull policy the scenario sets', () => {
    for (const pullPolicy of ['IfNotPresent', 'Never', 'Always'] as const) {
      expect(podManifest({ ...pod('plain'), pullPolicy }, instance).spec?.containers[0]?.imagePullPolicy).toBe(pullPolicy);
    }
  });
});

describe('namespace, service account and pull secret manifests', () => {
  it('makes one namespace per logical namespace, labelled with run and scenario', () => {
    expect(namespaceManifests(instance, 'run-7')).toEqual(
      ['team-a', 'team-b'].map((logical) => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns(logical), labels: { 'pullproof.dev/run': 'run-7', 'pullproof.dev/scenario': 'default-pull-policy' } },
      })),
    );
  });

  it('makes the service accounts with their annotations', () => {
    expect(serviceAccountManifests(instance)).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'puller', namespace: ns('team-a'), annotations: { 'example.com/team': 'a' } } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'other', namespace: ns('team-b'), annotations: {} } },
    ]);
  });

  it('writes one dockerconfigjson secret per namespace that uses it, for the registry host only', () => {
    expect(pullSecretName('robot')).toBe('pullproof-robot');
    const secrets = pullSecretManifests(instance, 'pullproof-registry:5000');
    const username = 'default-pull-policy.robot';
    const auth = Buffer.from(`${username}:pw-robot`).toString('base64');
    const data = Buffer.from(JSON.stringify({ auths: { 'pullproof-registry:5000': { username, password: 'pw-robot', auth } } })).toString('base64');
    expect(secrets).toEqual(
      ['team-a', 'team-b'].map((logical) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/dockerconfigjson',
        metadata: { name: 'pullproof-robot', namespace: ns(logical) },
        data: { '.dockerconfigjson': data },
      })),
    );
  });

  it('writes no secret for pods without one, or naming a user the registry does not have', () => {
    expect(pullSecretManifests({ ...instance, pods: [pod('plain')] }, 'r:5000')).toEqual([]);
    expect(pullSecretManifests({ ...instance, pods: [{ ...pod('plain'), imagePullSecret: 'nobody' }] }, 'r:5000')).toEqual([]);
  });
});
