import type { CoreV1Api} from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions, type V1Node, type V1NodeCondition, type V1Taint } from '@kubernetes/client-node';
import { apiErrorMessage } from './credentials.ts';
import { rfc3339 } from './pod-status.ts';

/**
 * Node registration and heartbeat (k/k pkg/kubelet/kubelet_node_status.go registerWithAPIServer,
 * initialNode; pkg/kubelet/nodestatus/setters.go for the conditions). Conditions in kubelet's
 * setter order — MemoryPressure, DiskPressure, PIDPressure, Ready — so Ready is last, which is what
 * kind's waitforready reads (`conditions[-1:].status`).
 */

/** Go's GOARCH for this process (kubernetes.io/arch). */
export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', ia32: '386' } as Record<string, string>)[arch] ?? arch;
}

type WireNodeCondition = Omit<V1NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'> & { lastHeartbeatTime: string; lastTransitionTime: string };

/** setters.go MemoryPressureCondition, DiskPressureCondition, PIDPressureCondition, ReadyCondition. */
export function nodeConditions(now: Date, since: Date): WireNodeCondition[] {
  const c = (type: string, status: string, reason: string, message: string): WireNodeCondition => ({ type, status, reason, message, lastHeartbeatTime: rfc3339(now), lastTransitionTime: rfc3339(since) });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export interface NodeSpecInput {
  readonly nodeName: string;
  readonly kubeletVersion: string;
  readonly nodeIp: string | undefined;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly taints: readonly V1Taint[];
}

/** initialNode: well-known labels (kubernetes.io/hostname, os, arch) plus --node-labels, taints, addresses. */
export function initialNode(input: NodeSpecInput, now: Date, since: Date): V1Node {
  const addresses = [...(input.nodeIp ? [{ type: 'InternalIP', address: input.nodeIp }] : []), { type: 'Hostname', address: input.nodeName }];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: input.nodeName,
      labels: { 'kubernetes.io/hostname': input.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': goArch(), 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': goArch(), ...input.nodeLabels },
    },
    spec: input.taints.length > 0 ? { taints: [...input.taints] } : {},
    status: {
      addresses,
      nodeInfo: {
        kubeletVersion: input.kubeletVersion, kubeProxyVersion: '', operatingSystem: 'linux', architecture: goArch(),
        containerRuntimeVersion: 'containerd://', kernelVersion: '', osImage: 'pullproof stand-in node', machineID: '', systemUUID: '', bootID: '',
      },
      conditions: nodeConditions(now, since) as unknown as V1NodeCondition[],
    },
  };
}

export class NodeRegistrationError extends Error {
  constructor(node: string, detail: string) {
    super(`stand-in kubelet could not register node ${node}: ${detail} (is the API server reachable, and may the kubelet's credentials create nodes?)`);
    this.name = 'NodeRegistrationError';
  }
}

export class NodeStatusReporter {
  readonly #core: CoreV1Api;
  readonly #input: NodeSpecInput;
  readonly #since = new Date();

  constructor(core: CoreV1Api, input: NodeSpecInput) {
    this.#core = core;
    this.#input = input;
  }

  /** POST /api/v1/nodes, or keep the existing Node (AlreadyExists), then post its status. */
  async register(): Promise<void> {
    const node = initialNode(this.#input, new Date(), this.#since);
    try {
      await this.#core.createNode({ body: node });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw new NodeRegistrationError(this.#input.nodeName, apiErrorMessage(error));
    }
    await this.heartbeat();
  }

  /** PATCH nodes/<name>/status (strategic merge: conditions merge by type). */
  async heartbeat(): Promise<void> {
    const now = new Date();
    const node = initialNode(this.#input, now, this.#since);
    await this.#core.patchNodeStatus({ name: this.#input.nodeName, body: { status: { addresses: node.status?.addresses, conditions: nodeConditions(now, this.#since) } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
  }
}
