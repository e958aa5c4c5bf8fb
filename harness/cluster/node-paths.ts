/**
 * Where pullproof's files live inside every kind node. kind's extraMounts bind host paths here;
 * the kubelet flags and the containerd `config_path` point at the same places.
 */
export const NODE_PATHS = {
  /** The provider bundle (plugin issue: `bin/<provider>` launcher + plugin + Node runtime), read-only. */
  providerBundle: '/etc/pullproof/provider',
  /** `--image-credential-provider-bin-dir`: kubelet looks up `<binDir>/<provider name>`. */
  providerBinDir: '/etc/pullproof/provider/bin',
  /** `--image-credential-provider-config`: a single CredentialProviderConfig file. */
  providerConfig: '/etc/pullproof/credential-provider-config.yaml',
  /** containerd's registry host directory: `<certsDir>/<host[:port]>/hosts.toml`. */
  certsDir: '/etc/containerd/certs.d',
  /** One line with the Kubernetes release; kind reads it to choose the kubeadm API. */
  kindVersion: '/kind/version',
} as const;
