import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { stringify } from 'yaml';
import { ClusterConfigError } from './errors.ts';
import { NODE_PATHS } from './node-paths.ts';
import type { KubernetesVersion } from './versions.ts';

/**
 * kind cluster configuration (kind.x-k8s.io/v1alpha4) as a pure function of the Kubernetes version
 * and what a scenario group needs from its cluster. Nothing here touches the disk or Docker.
 */

/** KubeletConfiguration `imagePullCredentialsVerificationPolicy` values (KEP-2535; kubelet.config.k8s.io/v1beta1). */
export type ImagePullCredentialsVerificationPolicy =
  | 'NeverVerify'
  | 'NeverVerifyPreloadedImages'
  | 'NeverVerifyAllowlistedImages'
  | 'AlwaysVerify';

export interface ClusterNeeds {
  /** Worker nodes besides the single control plane. */
  readonly workers: number;
  /** Host directory of the provider bundle; mounted read-only at NODE_PATHS.providerBundle. */
  readonly providerBundleDir: string;
  /** Host file holding the CredentialProviderConfig; mounted read-only at NODE_PATHS.providerConfig. */
  readonly providerConfigPath: string;
  /** Host directory with one `<host>/hosts.toml` per registry; mounted read-only at NODE_PATHS.certsDir. */
  readonly certsDir: string;
  /** `KubeletEnsureSecretPulledImages`; left at the release default when undefined. */
  readonly ensureSecretPulledImages?: boolean;
  readonly imagePullCredentialsVerificationPolicy?: ImagePullCredentialsVerificationPolicy;
  readonly preloadedImagesVerificationAllowlist?: readonly string[];
  /** kubelet `--v`; 4 by default so plugin execution shows in the kubelet log (evidence). 0 leaves it unset. */
  readonly kubeletVerbosity?: number;
  /** Node image; the version table's pinned kindest/node by default. */
  readonly nodeImage?: string;
  /** Host file with one release line, mounted over /kind/version (stand-in nodes impersonate a release). */
  readonly kindVersionFile?: string;
  /** Further mounts on every node (bring-your-own plugin files; stand-in failure injection). */
  readonly extraMounts?: readonly KindMount[];
}

export interface KindMount {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

export interface KindNode {
  readonly role: 'control-plane' | 'worker';
  readonly image: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly extraMounts: readonly KindMount[];
}

export interface KindClusterConfig {
  readonly kind: 'Cluster';
  readonly apiVersion: 'kind.x-k8s.io/v1alpha4';
  readonly name: string;
  readonly featureGates: Readonly<Record<string, boolean>>;
  readonly containerdConfigPatches: readonly string[];
  readonly kubeadmConfigPatches: readonly string[];
  readonly nodes: readonly KindNode[];
}

/** Kubernetes node label carrying the config hash, so a matching cluster can be found and reused. */
export const CONFIG_HASH_LABEL = 'pullproof.dev/config-hash';

/**
 * Feature gates, cluster-wide: kind writes them into the apiserver, controller-manager and scheduler
 * `--feature-gates`, the KubeletConfiguration and the KubeProxyConfiguration (captured in
 * reference/kind-standin-node.md §4).
 */
export function featureGates(version: KubernetesVersion, needs: ClusterNeeds): Record<string, boolean> {
  // Alpha (off) on 1.33, beta (on) from 1.34 — set explicitly everywhere so a cluster never depends on
  // a default (kubelet: "if [tokenAttributes] is set without the KubeletServiceAccountTokenForCredentialProviders
  // feature gate enabled, kubelet will fail to start with invalid configuration error").
  const gates: Record<string, boolean> = { KubeletServiceAccountTokenForCredentialProviders: true };
  const policy = needs.imagePullCredentialsVerificationPolicy;
  if (policy !== undefined && needs.ensureSecretPulledImages === false) {
    throw new ClusterConfigError('imagePullCredentialsVerificationPolicy', policy,
      'the policy is only read when the KubeletEnsureSecretPulledImages gate is on, but ensureSecretPulledImages is false: drop one of the two');
  }
  if (needs.ensureSecretPulledImages !== undefined) gates.KubeletEnsureSecretPulledImages = needs.ensureSecretPulledImages;
  // KEP-2535 is alpha (off) on 1.33–1.34: asking for a verification policy there means turning it on.
  else if (policy !== undefined && version.gates.KubeletEnsureSecretPulledImages === 'alpha') gates.KubeletEnsureSecretPulledImages = true;
  return gates;
}

/**
 * Two containerd patches, one per config version; kind's patch.ContainerdTOML skips a patch whose
 * `version` differs from the node's config. containerd 1.x (config version 2) keys the registry
 * under `io.containerd.grpc.v1.cri`; containerd 2.x's native config (version 3) under
 * `io.containerd.cri.v1.images` (containerd docs/hosts.md). A version-2 config on containerd 2.x is
 * migrated by containerd itself, so the first patch is right there too.
 */
export function containerdConfigPatches(): string[] {
  return [
    `version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${NODE_PATHS.certsDir}"`,
    `version = 3\n\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "${NODE_PATHS.certsDir}"`,
  ];
}

/**
 * kubelet flags in **map form** for both InitConfiguration (first control plane) and
 * JoinConfiguration (every other node). kind merges a map into v1beta3's map and converts it to
 * v1beta4's name/value list (kind pkg/internal/patch/kubeadm_merge.go); a list-form patch replaces
 * v1beta3's map and drops kind's own node-ip/provider-id (captured: reference/kind-captures/standin-1350-list).
 */
export function kubeadmConfigPatches(needs: ClusterNeeds): string[] {
  const kubeletExtraArgs: Record<string, string> = {
    'image-credential-provider-config': NODE_PATHS.providerConfig,
    'image-credential-provider-bin-dir': NODE_PATHS.providerBinDir,
  };
  const verbosity = needs.kubeletVerbosity ?? 4;
  if (verbosity > 0) kubeletExtraArgs.v = String(verbosity);
  const patches = ['InitConfiguration', 'JoinConfiguration'].map((kind) =>
    stringify({ kind, nodeRegistration: { kubeletExtraArgs } }));
  const kubelet = kubeletConfigurationPatch(needs);
  if (kubelet) patches.push(stringify(kubelet));
  return patches;
}

function kubeletConfigurationPatch(needs: ClusterNeeds): Record<string, unknown> | undefined {
  const policy = needs.imagePullCredentialsVerificationPolicy;
  const allowlist = needs.preloadedImagesVerificationAllowlist;
  if (allowlist !== undefined && policy !== 'NeverVerifyAllowlistedImages') {
    // kubelet only consults the allowlist under this policy (image_pull_policies.go): anything else is a silent no-op.
    throw new ClusterConfigError('preloadedImagesVerificationAllowlist', allowlist,
      `only read with imagePullCredentialsVerificationPolicy NeverVerifyAllowlistedImages (got ${policy ?? 'none'}): set that policy or drop the list`);
  }
  if (policy === undefined) return undefined;
  // Both fields exist only in kubelet.config.k8s.io/v1beta1 KubeletConfiguration (kubelet@v0.33.0+ config/v1beta1/types.go).
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    imagePullCredentialsVerificationPolicy: policy,
    ...(allowlist ? { preloadedImagesVerificationAllowlist: [...allowlist] } : {}),
  };
}

function mount(field: string, hostPath: string, containerPath: string): KindMount {
  if (!isAbsolute(hostPath)) {
    throw new ClusterConfigError(field, hostPath, 'must be an absolute path (kind resolves relative paths against its own working directory)');
  }
  if (hostPath.includes(':')) {
    // kind turns a mount into `--volume=<host>:<container>[:ro]` (providers/docker/provision.go generateMountBindings).
    throw new ClusterConfigError(field, hostPath, 'must not contain ":" (docker would split the --volume argument there): use another directory');
  }
  return { hostPath, containerPath, readOnly: true };
}

export function nodeMounts(needs: ClusterNeeds): KindMount[] {
  const mounts = [
    mount('providerBundleDir', needs.providerBundleDir, NODE_PATHS.providerBundle),
    mount('providerConfigPath', needs.providerConfigPath, NODE_PATHS.providerConfig),
    mount('certsDir', needs.certsDir, NODE_PATHS.certsDir),
  ];
  if (needs.kindVersionFile !== undefined) mounts.push(mount('kindVersionFile', needs.kindVersionFile, NODE_PATHS.kindVersion));
  for (const extra of needs.extraMounts ?? []) mounts.push({ ...mount('extraMounts', extra.hostPath, extra.containerPath), readOnly: extra.readOnly });
  return mounts;
}

export interface KindConfigInput {
  readonly name: string;
  readonly version: KubernetesVersion;
  readonly needs: ClusterNeeds;
  /**
   * Contents kubelet reads only when it starts (the CredentialProviderConfig): part of the config
   * hash, because a reused cluster keeps the providers it started with even when the mounted file
   * is rewritten.
   */
  readonly startupInputs?: readonly string[];
}

export function kindClusterConfig({ name, version, needs, startupInputs = [] }: KindConfigInput): KindClusterConfig {
  if (!Number.isInteger(needs.workers) || needs.workers < 0 || needs.workers > 10) {
    throw new ClusterConfigError('workers', needs.workers, 'must be a whole number from 0 to 10');
  }
  // kind derives container names `<name>-control-plane` from it; Docker names and DNS labels must match this.
  if (!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(name)) {
    throw new ClusterConfigError('name', name, 'must be lower-case letters, digits and "-", at most 42 characters, starting and ending alphanumeric');
  }
  const image = needs.nodeImage ?? version.nodeImage;
  const extraMounts = nodeMounts(needs);
  const base = {
    kind: 'Cluster' as const,
    apiVersion: 'kind.x-k8s.io/v1alpha4' as const,
    name,
    featureGates: featureGates(version, needs),
    containerdConfigPatches: containerdConfigPatches(),
    kubeadmConfigPatches: kubeadmConfigPatches(needs),
  };
  const unlabelled = (role: KindNode['role']): KindNode => ({ role, image, extraMounts });
  const nodes = [unlabelled('control-plane'), ...Array.from({ length: needs.workers }, () => unlabelled('worker'))];
  const hash = kindConfigHash({ ...base, nodes }, startupInputs);
  return { ...base, nodes: nodes.map((n) => ({ ...n, labels: { [CONFIG_HASH_LABEL]: hash } })) };
}

/**
 * Hash of everything that shapes the cluster except its name and the hash label itself: two
 * clusters with equal hashes were created from the same configuration and are interchangeable.
 */
export function kindConfigHash(config: KindClusterConfig, startupInputs: readonly string[] = []): string {
  const { name: _name, nodes, ...rest } = config;
  const canonical = { ...rest, nodes: nodes.map(({ labels: _labels, ...n }) => n) };
  const hash = createHash('sha256').update(JSON.stringify(canonical));
  for (const input of startupInputs) hash.update('\0').update(input);
  return hash.digest('hex').slice(0, 16);
}

export function renderKindConfig(config: KindClusterConfig): string {
  return stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
