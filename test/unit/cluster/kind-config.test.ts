import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ClusterConfigError } from '../../../harness/cluster/errors.ts';
import {
  CONFIG_HASH_LABEL, type ClusterNeeds, kindClusterConfig, kindConfigHash, renderKindConfig,
} from '../../../harness/cluster/kind-config.ts';
import { NODE_PATHS } from '../../../harness/cluster/node-paths.ts';
import { KUBERNETES_VERSIONS, SUPPORTED_MINORS, kubernetesVersion } from '../../../harness/cluster/versions.ts';
import { expectGolden } from './golden.ts';

const needs: ClusterNeeds = {
  workers: 1,
  providerBundleDir: '/var/lib/pullproof/run/provider',
  providerConfigPath: '/var/lib/pullproof/run/credential-provider-config.yaml',
  certsDir: '/var/lib/pullproof/run/certs.d',
};

const config = (minor: string, extra: Partial<ClusterNeeds> = {}) =>
  kindClusterConfig({ name: 'pullproof-golden', version: kubernetesVersion(minor), needs: { ...needs, ...extra } });

/** The kubeadm patch documents, parsed, by kind. */
function patches(minor: string, extra: Partial<ClusterNeeds> = {}): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const p of config(minor, extra).kubeadmConfigPatches) {
    const doc = parse(p) as Record<string, unknown>;
    out.set(String(doc.kind), doc);
  }
  return out;
}

describe('kind config per Kubernetes minor', () => {
  for (const minor of SUPPORTED_MINORS) {
    it(`matches the reviewed golden file for ${minor}`, () => {
      expectGolden(`kind-config-${minor}.yaml`, renderKindConfig(config(minor)));
    });
  }

  it('matches the reviewed golden file for a KEP-2535 policy on 1.34 (alpha gate switched on)', () => {
    expectGolden('kind-config-1.34-always-verify.yaml', renderKindConfig(config('1.34', { imagePullCredentialsVerificationPolicy: 'AlwaysVerify' })));
  });

  it('uses the pinned node image of the version table on every node', () => {
    for (const minor of SUPPORTED_MINORS) {
      const c = config(minor);
      expect(c.nodes.map((n) => n.image)).toEqual([KUBERNETES_VERSIONS[minor].nodeImage, KUBERNETES_VERSIONS[minor].nodeImage]);
      expect(c.nodes[0]?.image).toMatch(/^kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    }
  });

  it('sets the SA-token gate explicitly on every minor, even where beta turns it on by default', () => {
    for (const minor of SUPPORTED_MINORS) expect(config(minor).featureGates).toEqual({ KubeletServiceAccountTokenForCredentialProviders: true });
  });

  it('puts the kubelet flags in map form into both InitConfiguration and JoinConfiguration', () => {
    for (const minor of SUPPORTED_MINORS) {
      const p = patches(minor);
      for (const kind of ['InitConfiguration', 'JoinConfiguration']) {
        const args = (p.get(kind)?.nodeRegistration as { kubeletExtraArgs: unknown }).kubeletExtraArgs;
        expect(Array.isArray(args), `${minor} ${kind} kubeletExtraArgs must be a map`).toBe(false);
        expect(args).toEqual({
          'image-credential-provider-config': NODE_PATHS.providerConfig,
          'image-credential-provider-bin-dir': NODE_PATHS.providerBinDir,
          v: '4',
        });
      }
      // No apiVersion: a v1beta3- or v1beta4-only patch would silently not apply to the other.
      expect(p.get('InitConfiguration')?.apiVersion).toBeUndefined();
    }
  });

  it('omits the kubelet verbosity when asked to', () => {
    const args = (patches('1.35', { kubeletVerbosity: 0 }).get('JoinConfiguration')?.nodeRegistration as { kubeletExtraArgs: Record<string, string> }).kubeletExtraArgs;
    expect(args).not.toHaveProperty('v');
  });

  it('adds a KubeletConfiguration patch only when a verification policy is asked for', () => {
    expect(patches('1.37').has('KubeletConfiguration')).toBe(false);
    const kc = patches('1.37', { imagePullCredentialsVerificationPolicy: 'NeverVerifyAllowlistedImages', preloadedImagesVerificationAllowlist: ['registry.k8s.io/pause'] }).get('KubeletConfiguration');
    expect(kc).toEqual({
      apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration',
      imagePullCredentialsVerificationPolicy: 'NeverVerifyAllowlistedImages',
      preloadedImagesVerificationAllowlist: ['registry.k8s.io/pause'],
    });
  });

  it('turns the KEP-2535 gate on where it is alpha when a policy is asked for, and leaves beta minors at their default', () => {
    const withPolicy = { imagePullCredentialsVerificationPolicy: 'AlwaysVerify' as const };
    expect(config('1.33', withPolicy).featureGates.KubeletEnsureSecretPulledImages).toBe(true);
    expect(config('1.34', withPolicy).featureGates.KubeletEnsureSecretPulledImages).toBe(true);
    expect(config('1.35', withPolicy).featureGates).not.toHaveProperty('KubeletEnsureSecretPulledImages');
    expect(config('1.36', { ensureSecretPulledImages: false }).featureGates.KubeletEnsureSecretPulledImages).toBe(false);
  });

  it('refuses a verification policy with the KEP-2535 gate switched off', () => {
    expect(() => config('1.35', { ensureSecretPulledImages: false, imagePullCredentialsVerificationPolicy: 'AlwaysVerify' }))
      .toThrow(ClusterConfigError);
  });

  it('refuses an allowlist that the chosen policy would ignore', () => {
    expect(() => config('1.35', { imagePullCredentialsVerificationPolicy: 'AlwaysVerify', preloadedImagesVerificationAllowlist: ['x.io/a'] }))
      .toThrow(/only read with imagePullCredentialsVerificationPolicy NeverVerifyAllowlistedImages/);
  });

  it('patches config_path for containerd config version 2 and version 3, each under its own key', () => {
    const [v2, v3] = config('1.37').containerdConfigPatches;
    expect(v2).toMatch(/^version = 2\n/);
    expect(v2).toContain('[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"');
    expect(v3).toMatch(/^version = 3\n/);
    expect(v3).toContain('[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"');
  });

  it('mounts bundle, provider config and certs.d read-only on every node, plus /kind/version when given', () => {
    const c = config('1.33', { kindVersionFile: '/tmp/v' });
    expect(c.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker']);
    for (const node of c.nodes) {
      expect(node.extraMounts).toEqual([
        { hostPath: needs.providerBundleDir, containerPath: '/etc/pullproof/provider', readOnly: true },
        { hostPath: needs.providerConfigPath, containerPath: '/etc/pullproof/credential-provider-config.yaml', readOnly: true },
        { hostPath: needs.certsDir, containerPath: '/etc/containerd/certs.d', readOnly: true },
        { hostPath: '/tmp/v', containerPath: '/kind/version', readOnly: true },
      ]);
    }
  });

  it('creates one control plane plus the requested workers', () => {
    expect(config('1.36', { workers: 0 }).nodes.map((n) => n.role)).toEqual(['control-plane']);
    expect(config('1.36', { workers: 3 }).nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker', 'worker']);
    expect(() => config('1.36', { workers: -1 })).toThrow(/workers = -1/);
  });

  it('rejects relative host paths and paths docker would split at ":"', () => {
    expect(() => config('1.35', { certsDir: 'certs.d' })).toThrow(/certsDir = "certs.d": must be an absolute path/);
    expect(() => config('1.35', { certsDir: '/tmp/a:b' })).toThrow(/must not contain ":"/);
  });

  it('labels nodes with a config hash that ignores the cluster name and changes with the config', () => {
    const a = kindClusterConfig({ name: 'pullproof-a', version: kubernetesVersion('1.35'), needs });
    const b = kindClusterConfig({ name: 'pullproof-b', version: kubernetesVersion('1.35'), needs });
    const hashA = a.nodes[0]?.labels?.[CONFIG_HASH_LABEL];
    expect(hashA).toMatch(/^[0-9a-f]{16}$/);
    expect(b.nodes[1]?.labels?.[CONFIG_HASH_LABEL]).toBe(hashA);
    expect(kindConfigHash(a)).toBe(hashA);
    expect(config('1.35', { workers: 2 }).nodes[0]?.labels?.[CONFIG_HASH_LABEL]).not.toBe(hashA);
    expect(config('1.36').nodes[0]?.labels?.[CONFIG_HASH_LABEL]).not.toBe(hashA);
  });

  it('renders YAML that parses back to the same object (kubeadm patches as literal strings)', () => {
    const c = config('1.37', { imagePullCredentialsVerificationPolicy: 'AlwaysVerify' });
    const docs = parseAllDocuments(renderKindConfig(c));
    expect(docs).toHaveLength(1);
    expect(docs[0]?.toJS()).toEqual(JSON.parse(JSON.stringify(c)));
  });

  it('rejects cluster names kind cannot turn into container names', () => {
    expect(() => kindClusterConfig({ name: 'Pullproof_X', version: kubernetesVersion('1.35'), needs })).toThrow(ClusterConfigError);
  });
});
