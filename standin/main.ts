// Entry point of the stand-in kind node's control plane and kubelet, bundled into one file
// (harness/cluster/standin-image.ts) and started inside the node by the stand-in kubeadm
// (fixtures/standin-node-layer/usr/local/bin/kubeadm) through the `standin` wrapper:
//   standin apiserver --kubeadm-config /kind/kubeadm.conf --pki /etc/kubernetes/pki
//   standin kubelet   --kubeadm-config /kind/kubeadm.conf --role control-plane|worker
//   standin kubectl   <kind's kubectl calls>
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type V1Taint } from '@kubernetes/client-node';
import { startApiServer } from './apiserver/index.ts';
import { runKubectl } from './kubectl.ts';
import { STANDIN_NODE_FILES } from './paths.ts';
import { parseKubeadmConfig, startKubelet, type KubeadmNodeConfig } from './kubelet/index.ts';

/** kubeadm's default --service-account-issuer: https://kubernetes.default.svc.<dnsDomain> (phases/controlplane/manifests.go). */
const KUBEADM_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const API_PORT = 6443;

/** containerd as kind's node image runs it, and the registry hosts directory kind's patch sets (config_path). */
const CONTAINERD = { address: '/run/containerd/containerd.sock', namespace: 'k8s.io', hostsDir: '/etc/containerd/certs.d' } as const;

function flag(args: readonly string[], name: string): string {
  const index = args.indexOf(name);
  const value = index >= 0 ? args[index + 1] : undefined;
  if (!value) throw new Error(`standin: ${name} is required`);
  return value;
}

function readKubeadmConfig(path: string): KubeadmNodeConfig {
  return parseKubeadmConfig(readFileSync(path, 'utf8'));
}

function kindVersion(): string {
  return readFileSync('/kind/version', 'utf8').trim();
}

function stamp(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function apiserver(args: readonly string[]): Promise<void> {
  const config = readKubeadmConfig(flag(args, '--kubeadm-config'));
  const pki = flag(args, '--pki');
  const read = (file: string): string => readFileSync(join(pki, file), 'utf8');
  const address = config.nodeIp ?? '127.0.0.1';
  const server = await startApiServer({
    listen: { host: '0.0.0.0', port: API_PORT },
    tls: { cert: read('apiserver.crt'), key: read('apiserver.key'), clientCa: read('ca.crt') },
    serviceAccountSigningKey: { privateKeyPem: read('sa.key'), publicKeyPem: read('sa.pub') },
    issuer: KUBEADM_ISSUER,
    // kube-apiserver advertises https://<advertise address>:<port>/openid/v1/jwks when --service-account-jwks-uri is unset.
    jwksUri: `https://${address}:${API_PORT}/openid/v1/jwks`,
    bootstrapTokens: config.bootstrapToken ? [config.bootstrapToken] : [],
    version: kindVersion(),
    log: stamp,
    onUnimplemented: (line) => appendFileSync(STANDIN_NODE_FILES.unimplementedLog, `${line}\n`),
  });
  stamp(JSON.stringify({ msg: 'stand-in API server serving', url: server.url }));
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function kubelet(args: readonly string[]): Promise<void> {
  const config = readKubeadmConfig(flag(args, '--kubeadm-config'));
  const role = flag(args, '--role');
  if (!config.controlPlaneEndpoint || !config.bootstrapToken) throw new Error('standin kubelet: /kind/kubeadm.conf names no control-plane endpoint or bootstrap token');
  const caFile = '/etc/kubernetes/pki/ca.crt';
  const kc = new KubeConfig();
  // The control-plane node holds the cluster CA; a joining node trusts the endpoint as kind's
  // JoinConfiguration says (discovery.bootstrapToken.unsafeSkipCAVerification: true).
  kc.loadFromOptions({
    clusters: [{ name: 'standin', server: `https://${config.controlPlaneEndpoint}`, ...(existsSync(caFile) ? { caFile } : { skipTLSVerify: true }) }],
    users: [{ name: 'kubelet', token: config.bootstrapToken }],
    contexts: [{ name: 'standin', cluster: 'standin', user: 'kubelet' }],
    currentContext: 'standin',
  });
  // kubeadm's mark-control-plane phase (cmd/kubeadm/app/phases/markcontrolplane): this label and taint.
  const controlPlane = role === 'control-plane';
  const taints: V1Taint[] = controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [];
  const labels = {
    ...config.nodeLabels,
    ...(controlPlane ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
  };
  const provider = config.imageCredentialProviderConfig && config.imageCredentialProviderBinDir
    ? { configPath: config.imageCredentialProviderConfig, binDir: config.imageCredentialProviderBinDir }
    : undefined;
  const running = await startKubelet({
    nodeName: hostname(),
    kubeconfig: kc,
    kubernetesVersion: kindVersion(),
    featureGates: config.featureGates,
    ...(provider ? { credentialProvider: provider } : {}),
    containerd: CONTAINERD,
    nodeLabels: labels,
    registerWithTaints: taints,
    ...(config.nodeIp ? { nodeIp: config.nodeIp } : {}),
    log: stamp,
  });
  const stop = (): void => void running.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'apiserver') await apiserver(rest);
  else if (command === 'kubelet') await kubelet(rest);
  else if (command === 'kubectl') process.exitCode = await runKubectl(rest);
  else throw new Error(`standin: unknown command ${command ?? '(none)'}: apiserver, kubelet or kubectl`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
