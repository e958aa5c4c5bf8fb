import { compareVersions, parseDockerInfo, parseDockerVersion, parseKindNetwork, parseKindVersion, parseKubectlVersion } from './parse.ts';
import type { CommandOutcome, MachineFacts } from './facts.ts';
import { NODE_FLOOR } from './node-floor.ts';
import type { KubernetesVersion } from '../cluster/versions.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  readonly id: 'node' | 'docker-engine' | 'cgroups' | 'kind' | 'kubectl' | 'node-image' | 'disk' | 'kind-network' | 'test-image';
  readonly title: string;
  readonly status: CheckStatus;
  /** What was found, in one line. */
  readonly summary: string;
  /** What to do about it, in one line; present for every warn and fail. */
  readonly remedy?: string;
}

export interface DoctorReport {
  /** True only when `make e2e` could work on this machine for `kubernetes.minor`. */
  readonly ok: boolean;
  readonly kubernetes: { readonly minor: string; readonly nodeImage: string };
  readonly checks: readonly CheckResult[];
}

/** kind runs nodes with `--cgroupns=private`, a Docker 20.10 feature. */
const MIN_DOCKER = '20.10.0';
/** Node images are ~1 GiB each and a cluster writes container layers; below this kind runs out of space. */
const MIN_FREE_DISK = 4 * 1024 ** 3;
const COMFORTABLE_FREE_DISK = 10 * 1024 ** 3;

function firstLine(outcome: CommandOutcome): string {
  return (outcome.stderr.trim() || outcome.stdout.trim()).split('\n')[0]?.trim() || `exit code ${String(outcome.exitCode)}`;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** Node below the floor in package.json engines.node (one place; scripts/ensure-node.sh reads it too). */
export function checkNode(nodeVersion: string, floor: string = NODE_FLOOR): CheckResult {
  return compareVersions(nodeVersion, floor) >= 0
    ? { id: 'node', title: 'Node.js', status: 'pass', summary: `Node ${nodeVersion}` }
    : {
        id: 'node',
        title: 'Node.js',
        status: 'fail',
        summary: `Node ${nodeVersion} is older than ${floor} (package.json engines.node; ${floor} runs .ts files without a flag)`,
        remedy: `run \`make setup\` (fetches Node 24 from the npm registry into .toolchain/) or install Node ${floor} or newer`,
      };
}

export function checkDockerEngine(version: CommandOutcome, info: CommandOutcome): CheckResult {
  const title = 'Docker engine';
  if (version.exitCode === undefined) {
    return { id: 'docker-engine', title, status: 'fail', summary: 'docker CLI not found on PATH', remedy: 'install Docker (Debian: apt-get install docker.io) and start dockerd' };
  }
  const parsed = parseDockerVersion(version.stdout);
  const parsedInfo = parseDockerInfo(info.stdout);
  if (version.exitCode !== 0 || !parsed || !parsedInfo) {
    return {
      id: 'docker-engine',
      title,
      status: 'fail',
      summary: `engine not reachable: ${firstLine(version.exitCode !== 0 ? version : info)}`,
      remedy: 'start the Docker engine (`systemctl start docker`, or `dockerd &` as root) or point DOCKER_HOST at a running one',
    };
  }
  const summary = `Docker ${parsed.serverVersion} (API ${parsed.apiVersion}), storage ${parsedInfo.storageDriver}, cgroup v${parsedInfo.cgroupVersion} (${parsedInfo.cgroupDriver}), ${parsedInfo.osType}/${parsedInfo.architecture}`;
  if (compareVersions(parsed.serverVersion, MIN_DOCKER) < 0) {
    return { id: 'docker-engine', title, status: 'fail', summary, remedy: `kind needs Docker ${MIN_DOCKER} or newer (--cgroupns=private); upgrade the engine` };
  }
  return { id: 'docker-engine', title, status: 'pass', summary };
}

/**
 * Kubernetes 1.35 made kubelet refuse cgroup v1 hosts by default (KEP-5573, `failCgroupV1: true`:
 * "kubelet is configured to not run on a host using cgroup v1"), so a kind node of 1.35+ cannot
 * start its kubelet on a cgroup v1 Docker host.
 */
export function checkCgroups(info: CommandOutcome, kubernetes: KubernetesVersion): CheckResult | undefined {
  const parsed = parseDockerInfo(info.stdout);
  if (!parsed) return undefined;
  const title = 'cgroups for this Kubernetes';
  const newKubelet = compareVersions(kubernetes.minor, '1.35') >= 0;
  if (parsed.cgroupVersion === '1' && newKubelet) {
    return {
      id: 'cgroups',
      title,
      status: 'fail',
      summary: `Docker host uses cgroup v1; kubelet ${kubernetes.minor} refuses to start on cgroup v1 (KEP-5573 failCgroupV1)`,
      remedy: 'use a cgroup v2 host (boot with systemd.unified_cgroup_hierarchy=1), or pick --k8s 1.33 / 1.34',
    };
  }
  return { id: 'cgroups', title, status: 'pass', summary: `cgroup v${parsed.cgroupVersion} works with kubelet ${kubernetes.minor}` };
}

export function checkKind(outcome: CommandOutcome, kubernetes: KubernetesVersion): CheckResult {
  const title = 'kind';
  const remedyInstall = `install kind ${kubernetes.builtForKind} or newer (Debian sid package "kind", or the release binary checked against its .sha256sum)`;
  if (outcome.exitCode === undefined) return { id: 'kind', title, status: 'fail', summary: 'kind not found on PATH', remedy: remedyInstall };
  const version = parseKindVersion(outcome.stdout);
  if (outcome.exitCode !== 0 || !version) {
    return { id: 'kind', title, status: 'fail', summary: `\`kind version\` failed: ${firstLine(outcome)}`, remedy: remedyInstall };
  }
  if (compareVersions(version, kubernetes.minKind) < 0) {
    return {
      id: 'kind',
      title,
      status: 'fail',
      summary: `kind ${version} is older than ${kubernetes.minKind}, the oldest that renders Kubernetes ${kubernetes.minor}'s kubeadm config (${kubernetes.kubeadmApi})`,
      remedy: remedyInstall,
    };
  }
  const note = compareVersions(version, kubernetes.builtForKind) < 0 ? ` (image built for ${kubernetes.builtForKind}; best effort)` : '';
  return { id: 'kind', title, status: 'pass', summary: `kind ${version}${note}` };
}

/** kubectl is optional: the harness talks to the API with @kubernetes/client-node; kubectl helps debugging. */
export function checkKubectl(outcome: CommandOutcome): CheckResult {
  const version = outcome.exitCode === 0 ? parseKubectlVersion(outcome.stdout) : undefined;
  return version
    ? { id: 'kubectl', title: 'kubectl (optional)', status: 'pass', summary: `kubectl ${version}` }
    : {
        id: 'kubectl',
        title: 'kubectl (optional)',
        status: 'warn',
        summary: outcome.exitCode === undefined ? 'kubectl not found on PATH' : `\`kubectl version --client\` failed: ${firstLine(outcome)}`,
        remedy: 'optional: install kubectl to inspect clusters kept with --keep',
      };
}

export function checkNodeImage(
  inspect: CommandOutcome,
  registryProbe: CommandOutcome | undefined,
  engineReachable: boolean,
  kubernetes: KubernetesVersion,
): CheckResult {
  const title = `node image for Kubernetes ${kubernetes.minor}`;
  const image = kubernetes.nodeImage;
  if (!engineReachable) {
    return { id: 'node-image', title, status: 'fail', summary: `${image}: not checked, the Docker engine is not reachable`, remedy: 'start the Docker engine first' };
  }
  if (inspect.exitCode === 0) return { id: 'node-image', title, status: 'pass', summary: `${image} is present locally` };
  if (registryProbe?.exitCode === 0) {
    return { id: 'node-image', title, status: 'pass', summary: `${image} is not present; kind will pull it (the registry serves its manifest)` };
  }
  return {
    id: 'node-image',
    title,
    status: 'fail',
    summary: `${image} is not present and the registry did not serve its manifest${registryProbe ? ` (${firstLine(registryProbe)})` : ''}`,
    remedy: `on a machine with registry access: docker pull ${image} && docker save -o node.tar ${image.split('@')[0] ?? image}; here: docker load -i node.tar, then pass --node-image ${image.split('@')[0] ?? image} (a loaded image has no registry digest) or NODE_IMAGE=… make e2e`,
  };
}

export function checkDisk(freeBytes: number | undefined, path: string | undefined): CheckResult {
  const title = 'free disk for Docker';
  if (freeBytes === undefined) {
    return { id: 'disk', title, status: 'warn', summary: path ? `free space on ${path} unknown` : "free space unknown (Docker's data root not known)", remedy: `make sure ${gib(COMFORTABLE_FREE_DISK)} are free for node images and containers` };
  }
  const summary = `${gib(freeBytes)} free on ${path ?? "Docker's data root"}`;
  if (freeBytes < MIN_FREE_DISK) return { id: 'disk', title, status: 'fail', summary, remedy: `free at least ${gib(MIN_FREE_DISK)} (docker image prune, remove unused clusters)` };
  if (freeBytes < COMFORTABLE_FREE_DISK) return { id: 'disk', title, status: 'warn', summary, remedy: `${gib(COMFORTABLE_FREE_DISK)} or more avoids kubelet disk-pressure evictions` };
  return { id: 'disk', title, status: 'pass', summary };
}

/**
 * The token service listens on the `kind` network's IPv4 gateway so that containerd inside the nodes
 * can reach the token realm; a network without an IPv4 gateway leaves nothing to listen on.
 */
export function checkKindNetwork(outcome: CommandOutcome, engineReachable: boolean): CheckResult {
  const title = '"kind" docker network';
  if (!engineReachable) return { id: 'kind-network', title, status: 'fail', summary: 'not checked, the Docker engine is not reachable', remedy: 'start the Docker engine first' };
  if (outcome.exitCode !== 0) {
    return { id: 'kind-network', title, status: 'pass', summary: 'absent; kind creates it with the first cluster (pullproof removes it again if it created it)' };
  }
  const network = parseKindNetwork(outcome.stdout);
  if (!network) return { id: 'kind-network', title, status: 'fail', summary: 'present but `docker network inspect kind` was unreadable', remedy: 'remove it (`docker network rm kind`) and let kind recreate it' };
  const summary = `present: ${network.driver}, IPv4 ${network.ipv4Subnet ?? 'none'} gateway ${network.ipv4Gateway ?? 'none'}, ${network.containers} container(s) attached`;
  if (network.driver !== 'bridge' || !network.ipv4Gateway) {
    return { id: 'kind-network', title, status: 'fail', summary, remedy: 'the token realm needs an IPv4 bridge gateway: `docker network rm kind` (after deleting its clusters) and let kind recreate it' };
  }
  return { id: 'kind-network', title, status: 'pass', summary };
}

/** The private test images are authored in code from the host's static busybox (registry/images). */
export function checkTestImage(busybox: MachineFacts['busybox']): CheckResult {
  return busybox.present
    ? { id: 'test-image', title: 'test image source', status: 'pass', summary: `${busybox.path} (static busybox for the private test images)` }
    : { id: 'test-image', title: 'test image source', status: 'fail', summary: `${busybox.path} is missing: the private test images are built from it`, remedy: 'install a static busybox (Debian/Ubuntu: apt-get install busybox-static)' };
}

export function judge(facts: MachineFacts, kubernetes: KubernetesVersion): DoctorReport {
  const docker = checkDockerEngine(facts.dockerVersion, facts.dockerInfo);
  const engineReachable = docker.status !== 'fail' || parseDockerVersion(facts.dockerVersion.stdout) !== undefined;
  const cgroups = engineReachable ? checkCgroups(facts.dockerInfo, kubernetes) : undefined;
  const checks: CheckResult[] = [
    checkNode(facts.nodeVersion),
    docker,
    ...(cgroups ? [cgroups] : []),
    checkKind(facts.kindVersion, kubernetes),
    checkKubectl(facts.kubectlVersion),
    checkNodeImage(facts.nodeImageInspect, facts.registryProbe, engineReachable, kubernetes),
    checkDisk(facts.freeDiskBytes, facts.freeDiskPath),
    checkKindNetwork(facts.kindNetworkInspect, engineReachable),
    checkTestImage(facts.busybox),
  ];
  return {
    ok: checks.every((c) => c.status !== 'fail'),
    kubernetes: { minor: kubernetes.minor, nodeImage: kubernetes.nodeImage },
    checks,
  };
}
