import { parseAllDocuments } from 'yaml';

/**
 * What the stand-in kubelet needs from kind's /kind/kubeadm.conf (multi-document YAML written by
 * kind's `config` action, pkg/cluster/internal/create/actions/config/config.go; captures in
 * reference kind-standin-node.md §4). kubeadm v1beta3 writes `kubeletExtraArgs` as a map, v1beta4
 * as a list of `{name, value}` (kind pkg/internal/patch/kubeadm_merge.go converts for v1beta4).
 * A node joins with its JoinConfiguration (kubeadm join --config); the control-plane node's
 * InitConfiguration carries the same nodeRegistration, so JoinConfiguration is read first.
 */

export interface KubeadmNodeConfig {
  /** ClusterConfiguration.controlPlaneEndpoint, else JoinConfiguration discovery.bootstrapToken.apiServerEndpoint. */
  readonly controlPlaneEndpoint: string | undefined;
  /** JoinConfiguration discovery.bootstrapToken.token, else InitConfiguration bootstrapTokens[0].token. */
  readonly bootstrapToken: string | undefined;
  readonly kubernetesVersion: string | undefined;
  /** nodeRegistration.kubeletExtraArgs, flattened (later duplicates win, as kubeadm's flag list). */
  readonly kubeletExtraArgs: Readonly<Record<string, string>>;
  readonly nodeIp: string | undefined;
  readonly imageCredentialProviderConfig: string | undefined;
  readonly imageCredentialProviderBinDir: string | undefined;
  /** `node-labels` parsed as `k=v,k2=v2` (kubelet --node-labels). */
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** KubeletConfiguration.featureGates. */
  readonly featureGates: Readonly<Record<string, boolean>>;
  /** KubeletConfiguration.imagePullCredentialsVerificationPolicy (KEP-2535), if set. */
  readonly imagePullCredentialsVerificationPolicy: string | undefined;
}

export class KubeadmConfigError extends Error {
  constructor(detail: string) {
    super(`/kind/kubeadm.conf could not be read: ${detail} (is this the file kind wrote?)`);
    this.name = 'KubeadmConfigError';
  }
}

type Doc = Record<string, unknown>;

const isRecord = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

function get(doc: Doc | undefined, ...path: (string | number)[]): unknown {
  let cur: unknown = doc;
  for (const key of path) {
    if (typeof key === 'number') cur = Array.isArray(cur) ? (cur as unknown[])[key] : undefined;
    else cur = isRecord(cur) ? cur[key] : undefined;
  }
  return cur;
}

/** Map form (v1beta3) or list form (v1beta4) of extraArgs. */
export function flattenExtraArgs(args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(args)) {
    for (const item of args as unknown[]) {
      const name = str(get(isRecord(item) ? item : undefined, 'name'));
      if (name !== undefined) out[name] = str(get(item as Doc, 'value')) ?? '';
    }
  } else if (isRecord(args)) {
    for (const [k, v] of Object.entries(args)) out[k] = str(v) ?? '';
  }
  return out;
}

/** kubelet --node-labels: `key=value` pairs separated by commas; empty string → none. */
export function parseNodeLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 0) out[pair] = '';
    else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function parseKubeadmConfig(text: string): KubeadmNodeConfig {
  const docs: Doc[] = [];
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length > 0) throw new KubeadmConfigError(d.errors[0]?.message ?? 'YAML error');
    const value: unknown = d.toJS();
    if (isRecord(value)) docs.push(value);
  }
  if (docs.length === 0) throw new KubeadmConfigError('no YAML documents');
  const byKind = (kind: string): Doc | undefined => docs.find((d) => d.kind === kind);
  const cluster = byKind('ClusterConfiguration');
  const init = byKind('InitConfiguration');
  const join = byKind('JoinConfiguration');
  const kubelet = byKind('KubeletConfiguration');
  const registration = get(join, 'nodeRegistration', 'kubeletExtraArgs') !== undefined ? join : init;
  const extra = flattenExtraArgs(get(registration, 'nodeRegistration', 'kubeletExtraArgs'));
  const gates: Record<string, boolean> = {};
  const rawGates = get(kubelet, 'featureGates');
  if (isRecord(rawGates)) for (const [k, v] of Object.entries(rawGates)) if (typeof v === 'boolean') gates[k] = v;
  return {
    controlPlaneEndpoint: str(get(cluster, 'controlPlaneEndpoint')) ?? str(get(join, 'discovery', 'bootstrapToken', 'apiServerEndpoint')),
    bootstrapToken: str(get(join, 'discovery', 'bootstrapToken', 'token')) ?? str(get(init, 'bootstrapTokens', 0, 'token')),
    kubernetesVersion: str(get(cluster, 'kubernetesVersion')),
    kubeletExtraArgs: extra,
    nodeIp: extra['node-ip'] || undefined,
    imageCredentialProviderConfig: extra['image-credential-provider-config'] || undefined,
    imageCredentialProviderBinDir: extra['image-credential-provider-bin-dir'] || undefined,
    nodeLabels: parseNodeLabels(extra['node-labels']),
    featureGates: gates,
    imagePullCredentialsVerificationPolicy: str(get(kubelet, 'imagePullCredentialsVerificationPolicy')),
  };
}
