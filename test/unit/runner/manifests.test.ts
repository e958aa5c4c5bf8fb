import { describe, expect, it } from 'vitest';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import { clusterNeeds, groupByCluster } from '../../../harness/runner/cluster-depth.ts';
import { instantiate } from '../../../harness/runner/instantiate.ts';
import { namespaceManifests, podManifest, pullSecretManifests, serviceAccountManifests } from '../../../harness/runner/manifests.ts';
import { defineScenario } from '../../../harness/scenario/define.ts';
import cachedImageReverified from '../../../scenarios/cached-image-reverified.ts';
import exchangeRoleImpersonation from '../../../scenarios/exchange-role-impersonation.ts';
import grantedSaPulls from '../../../scenarios/granted-sa-pulls.ts';
import pullSecretOrProvider from '../../../scenarios/pull-secret-or-provider.ts';
import { BUILT_IN_SCENARIOS } from '../../../scenarios/index.ts';

const context = { runId: 'run1', kubernetes: kubernetesVersion('1.35'), registryHost: 'pullproof-registry:5000', tokenServiceUrl: 'http://172.18.0.1:45651' };

describe('cluster-depth manifests', () => {
  it('labels namespaces with the run and scenario so leftovers can be found', () => {
    const [ns] = namespaceManifests(instantiate(grantedSaPulls, context), 'run1');
    expect(ns?.metadata?.labels).toEqual({ 'pullproof.dev/run': 'run1', 'pullproof.dev/scenario': 'granted-sa-pulls' });
  });

  it('creates service accounts with their (scoped) annotations', () => {
    const [sa] = serviceAccountManifests(instantiate(exchangeRoleImpersonation, context));
    expect(sa?.metadata?.annotations).toEqual({ 'pullproof.dev/role': 'exchange-role-impersonation.team-a-reader' });
  });

  it('pulls with Always unless the scenario says otherwise, and pins cached-image pods to a node', () => {
    const instance = instantiate(cachedImageReverified, context);
    const [first, second] = instance.pods;
    expect(podManifest(instance.pods[0]!, instance).spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(podManifest(second!, instance, 'pullproof-worker').spec?.nodeName).toBe('pullproof-worker');
    expect(podManifest(first!, instance).spec?.nodeName).toBeUndefined();
    const plain = instantiate(grantedSaPulls, context);
    expect(podManifest(plain.pods[0]!, plain).spec).toMatchObject({ serviceAccountName: 'puller', restartPolicy: 'Never', containers: [{ imagePullPolicy: 'Always', image: plain.pods[0]?.imageRef }] });
  });

  it('writes dockerconfigjson pull secrets keyed by the registry host, one per secret and namespace however many pods name it', () => {
    const instance = instantiate(pullSecretOrProvider, context, (name) => `pw-${name}`);
    const secrets = pullSecretManifests(instance, 'pullproof-registry:5000');
    // provider-only and neither both carry robot-elsewhere in team-a: one Secret, or the second create is 409 AlreadyExists.
    expect(secrets.map((s) => `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`)).toEqual([
      `${instance.namespaces.get('team-a') ?? ''}/pullproof-robot-a`,
      `${instance.namespaces.get('team-a') ?? ''}/pullproof-robot-elsewhere`,
    ]);
    const config = JSON.parse(Buffer.from(secrets[0]?.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as { auths: Record<string, { username: string; auth: string }> };
    expect(Object.keys(config.auths)).toEqual(['pullproof-registry:5000']);
    expect(config.auths['pullproof-registry:5000']?.username).toBe('pull-secret-or-provider.robot-a');
    expect(Buffer.from(config.auths['pullproof-registry:5000']?.auth ?? '', 'base64').toString()).toBe('pull-secret-or-provider.robot-a:pw-robot-a');
    const pod = podManifest(instance.pods[0]!, instance);
    expect(pod.spec?.imagePullSecrets).toEqual([{ name: 'pullproof-robot-a' }]);
  });
});

describe('grouping scenarios by cluster', () => {
  it('puts every built-in scenario on one cluster: none needs a different kubelet', () => {
    expect(groupByCluster(BUILT_IN_SCENARIOS)).toHaveLength(1);
  });

  it('gives a scenario that turns the KEP-2535 gate off its own cluster', () => {
    const gateOff = defineScenario({ ...grantedSaPulls, name: 'gate-off', cluster: { featureGates: { KubeletEnsureSecretPulledImages: false } } });
    expect(clusterNeeds(gateOff)).toEqual({ workers: 1, ensureSecretPulledImages: false });
    expect(groupByCluster([grantedSaPulls, gateOff]).map((g) => g.scenarios.map((s) => s.name))).toEqual([['granted-sa-pulls'], ['gate-off']]);
  });
});

describe('cluster work directory', () => {
  it('is absolute even from a relative work root, as kind extraMounts require', async () => {
    const { clusterWorkDir } = await import('../../../harness/runner/cluster-depth.ts');
    const { kindClusterConfig } = await import('../../../harness/cluster/kind-config.ts');
    const dir = clusterWorkDir('.cache/clusters', kubernetesVersion('1.37'), 'abcd1234');
    expect(dir.startsWith('/')).toBe(true);
    expect(dir.endsWith('/.cache/clusters/k8s-1.37-abcd1234')).toBe(true);
    // The generator rejects relative mount paths: the directory the runner builds must pass it.
    expect(() => kindClusterConfig({
      name: 'pullproof-k137-abc',
      version: kubernetesVersion('1.37'),
      needs: { workers: 1, providerBundleDir: `${dir}/provider`, providerConfigPath: `${dir}/credential-provider-config.yaml`, certsDir: `${dir}/certs.d` },
    })).not.toThrow();
  });
});

describe('cluster reuse', () => {
  it('changes the config hash when the CredentialProviderConfig changes: kubelet reads it only at start', async () => {
    const { kindClusterConfig, CONFIG_HASH_LABEL } = await import('../../../harness/cluster/kind-config.ts');
    const needs = { workers: 1, providerBundleDir: '/w/provider', providerConfigPath: '/w/cp.yaml', certsDir: '/w/certs.d' };
    const hashOf = (providers: string) =>
      kindClusterConfig({ name: 'pullproof-x', version: kubernetesVersion('1.34'), needs, startupInputs: [providers] }).nodes[0]?.labels?.[CONFIG_HASH_LABEL];
    expect(hashOf('providers: [a]')).not.toBe(hashOf('providers: [a, b]'));
    expect(hashOf('providers: [a]')).toBe(hashOf('providers: [a]'));
  });
});
