import { execa } from 'execa';

/**
 * The `kind` docker network. The harness creates it before kind does, because the registry and the
 * token realm (the network's gateway) must exist before the nodes. kind never removes it
 * (`kind delete cluster` only removes node containers), so we remove it ourselves — but only when a
 * pullproof process created it (our label) and nothing is attached any more: other tools and other
 * test suites on this engine may be using it.
 */

export const KIND_NETWORK = 'kind';
export const CREATED_BY_LABEL = 'dev.pullproof.created-by';

export interface KindNetwork {
  readonly name: string;
  /** IPv4 gateway: the host as seen from nodes (Linux). The token realm listens here. */
  readonly gateway: string;
  /** This call created the network. */
  readonly created: boolean;
}

interface NetworkInspect {
  readonly IPAM?: { readonly Config?: readonly { readonly Subnet?: string; readonly Gateway?: string }[] };
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly Containers?: Readonly<Record<string, unknown>> | null;
}

async function inspect(name: string): Promise<NetworkInspect | undefined> {
  const r = await execa('docker', ['network', 'inspect', name, '--format', '{{json .}}'], { reject: false });
  return r.exitCode === 0 ? (JSON.parse(r.stdout) as NetworkInspect) : undefined;
}

function gatewayOf(net: NetworkInspect, name: string): string {
  const v4 = net.IPAM?.Config?.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
  if (!v4) throw new Error(`docker network ${name} has no IPv4 gateway (IPAM ${JSON.stringify(net.IPAM?.Config)}): the token realm needs one; remove the network and let pullproof recreate it`);
  return v4;
}

/** Creates `kind` with kind's own flags (kind: providers/docker/network.go) unless it exists. */
export async function ensureKindNetwork(name = KIND_NETWORK): Promise<KindNetwork> {
  const existing = await inspect(name);
  if (existing) return { name, gateway: gatewayOf(existing, name), created: false };
  const created = await execa('docker', [
    'network', 'create', '-d=bridge',
    '-o', 'com.docker.network.bridge.enable_ip_masquerade=true',
    '-o', 'com.docker.network.driver.mtu=1500',
    '--ipv6', '--subnet', 'fc00:f853:ccd:e793::/64',
    '--label', `${CREATED_BY_LABEL}=pullproof`,
    name,
  ], { reject: false, all: true });
  const now = await inspect(name);
  if (!now) throw new Error(`docker network create ${name} failed: ${created.all}`);
  // Lost a race with another creator: theirs, not ours.
  return { name, gateway: gatewayOf(now, name), created: created.exitCode === 0 };
}

export type NetworkRemoval = 'removed' | 'absent' | 'not-ours' | 'in-use';

/**
 * Removes the network if pullproof created it and no container is attached. Endpoints of
 * containers just removed (notably a `docker run` cancelled by an abort) are released
 * asynchronously, so "in use" is re-checked for a few seconds before the network is left alone.
 */
export async function removeKindNetworkIfOurs(name = KIND_NETWORK, waitMs = 5000): Promise<NetworkRemoval> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const net = await inspect(name);
    if (!net) return 'absent';
    if (net.Labels?.[CREATED_BY_LABEL] !== 'pullproof') return 'not-ours';
    if (Object.keys(net.Containers ?? {}).length === 0) {
      const r = await execa('docker', ['network', 'rm', name], { reject: false });
      if (r.exitCode === 0) return 'removed';
    }
    if (Date.now() >= deadline) return 'in-use';
    await new Promise((res) => setTimeout(res, 250));
  }
}

export async function kindNetworkGateway(name = KIND_NETWORK): Promise<string> {
  const net = await inspect(name);
  if (!net) throw new Error(`docker network ${name} does not exist: create a cluster first (or ensureKindNetwork())`);
  return gatewayOf(net, name);
}

