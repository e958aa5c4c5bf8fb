/**
 * What pullproof needs to know per Kubernetes minor: the node image (pinned by digest), the kind
 * release it was built for, the gates to set, and the config shapes that change between minors.
 *
 * Sources (see ../shared/reference/kind-node-images.md and kubelet-credential-providers.md §4.1):
 * - digests are the multi-arch index digests from kind's release notes (v0.31.0, v0.32.0, v0.33.0);
 * - kind v0.33.0 renders kubeadm v1beta3 below 1.36 and v1beta4 from 1.36 (observed with the real binary);
 * - KubeletServiceAccountTokenForCredentialProviders: alpha/off 1.33, beta/on from 1.34;
 * - KubeletEnsureSecretPulledImages: alpha/off 1.33–1.34, beta/on from 1.35;
 * - tokenAttributes.cacheType: absent in the 1.33 API, required from 1.34.
 */

export type KubernetesMinor = '1.33' | '1.34' | '1.35' | '1.36' | '1.37';

export type GateStage = 'alpha' | 'beta';

export interface KubernetesVersion {
  readonly minor: KubernetesMinor;
  /** Full node image reference, tag and index digest. */
  readonly nodeImage: string;
  /** kind release whose notes publish `nodeImage`; kind supports an image best with its own release. */
  readonly builtForKind: string;
  /**
   * Oldest kind that configures this minor's node correctly. v0.32.0 for every minor: kind v0.31.0
   * merges every containerdConfigPatch whatever the node's config version (pkg/internal/patch/toml.go
   * at v0.31.0), so our version-3 patch would corrupt the version-2 config of 1.33–1.35 nodes; the
   * version-aware skip arrived in v0.32.0. v0.32+ also renders v1beta4 for 1.36+.
   */
  readonly minKind: string;
  readonly kubeadmApi: 'kubeadm.k8s.io/v1beta3' | 'kubeadm.k8s.io/v1beta4';
  readonly gates: {
    readonly KubeletServiceAccountTokenForCredentialProviders: GateStage;
    readonly KubeletEnsureSecretPulledImages: GateStage;
  };
  /** Whether CredentialProviderConfig tokenAttributes has (and requires) `cacheType`. */
  readonly cacheTypeRequired: boolean;
}

export const DEFAULT_MINOR: KubernetesMinor = '1.37';

export const KUBERNETES_VERSIONS: Readonly<Record<KubernetesMinor, KubernetesVersion>> = {
  '1.33': {
    minor: '1.33',
    nodeImage: 'kindest/node:v1.33.7@sha256:d26ef333bdb2cbe9862a0f7c3803ecc7b4303d8cea8e814b481b09949d353040',
    builtForKind: 'v0.31.0',
    minKind: 'v0.32.0',
    kubeadmApi: 'kubeadm.k8s.io/v1beta3',
    gates: { KubeletServiceAccountTokenForCredentialProviders: 'alpha', KubeletEnsureSecretPulledImages: 'alpha' },
    cacheTypeRequired: false,
  },
  '1.34': {
    minor: '1.34',
    nodeImage: 'kindest/node:v1.34.8@sha256:02722c2dedddcfc00febf5d27fbeb9b7b2c14294c82109ff4a85d89ac9ba3256',
    builtForKind: 'v0.32.0',
    minKind: 'v0.32.0',
    kubeadmApi: 'kubeadm.k8s.io/v1beta3',
    gates: { KubeletServiceAccountTokenForCredentialProviders: 'beta', KubeletEnsureSecretPulledImages: 'alpha' },
    cacheTypeRequired: true,
  },
  '1.35': {
    minor: '1.35',
    nodeImage: 'kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0',
    builtForKind: 'v0.33.0',
    minKind: 'v0.32.0',
    kubeadmApi: 'kubeadm.k8s.io/v1beta3',
    gates: { KubeletServiceAccountTokenForCredentialProviders: 'beta', KubeletEnsureSecretPulledImages: 'beta' },
    cacheTypeRequired: true,
  },
  '1.36': {
    minor: '1.36',
    nodeImage: 'kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed',
    builtForKind: 'v0.33.0',
    minKind: 'v0.32.0',
    kubeadmApi: 'kubeadm.k8s.io/v1beta4',
    gates: { KubeletServiceAccountTokenForCredentialProviders: 'beta', KubeletEnsureSecretPulledImages: 'beta' },
    cacheTypeRequired: true,
  },
  '1.37': {
    minor: '1.37',
    nodeImage: 'kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5',
    builtForKind: 'v0.33.0',
    minKind: 'v0.32.0',
    kubeadmApi: 'kubeadm.k8s.io/v1beta4',
    gates: { KubeletServiceAccountTokenForCredentialProviders: 'beta', KubeletEnsureSecretPulledImages: 'beta' },
    cacheTypeRequired: true,
  },
};

/**
 * The Kubernetes release a node image carries, read from its tag (`kindest/node:v1.33.7@sha256:…`
 * → `v1.33.7`). The stand-in node impersonates it through a mounted `/kind/version`, which is the
 * file kind reads to pick the kubeadm API (v1beta3 below 1.36, v1beta4 from 1.36).
 */
export function kubernetesRelease(version: KubernetesVersion): string {
  // The pinned image of the table entry: a stand-in (or loaded) image in `version.nodeImage` has no release tag.
  const pinned = KUBERNETES_VERSIONS[version.minor].nodeImage;
  const tag = /:(v\d+\.\d+\.\d+)(?:@|$)/.exec(pinned);
  if (!tag?.[1]) throw new Error(`version table entry ${version.minor} has a node image without a vX.Y.Z tag: ${pinned}`);
  return tag[1];
}

export const SUPPORTED_MINORS = Object.keys(KUBERNETES_VERSIONS) as KubernetesMinor[];

export class UnsupportedKubernetesVersionError extends Error {
  readonly requested: string;
  constructor(requested: string) {
    super(`Kubernetes ${requested} is not supported: pullproof knows ${SUPPORTED_MINORS.join(', ')} (pass --k8s with one of them)`);
    this.name = 'UnsupportedKubernetesVersionError';
    this.requested = requested;
  }
}

/** Accepts "1.34", "v1.34", "1.34.8" and returns the table entry for that minor. */
export function kubernetesVersion(requested: string): KubernetesVersion {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(requested.trim());
  const minor = match ? `${match[1]}.${match[2]}` : requested;
  if (!(minor in KUBERNETES_VERSIONS)) throw new UnsupportedKubernetesVersionError(requested);
  return KUBERNETES_VERSIONS[minor as KubernetesMinor];
}

/**
 * The table entry with another node image, e.g. one restored with `docker load`: a loaded image
 * has no registry digest on Docker's classic image store, so the pinned `tag@digest` would not
 * find it.
 */
export function withNodeImage(version: KubernetesVersion, nodeImage: string | undefined): KubernetesVersion {
  return nodeImage ? { ...version, nodeImage } : version;
}
