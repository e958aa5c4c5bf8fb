import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClusterConfigError } from './errors.ts';

/**
 * containerd registry host configuration: `<certsDir>/<host[:port]>/hosts.toml`, one per registry
 * host a pod image names. The directory is mounted on every node at /etc/containerd/certs.d.
 */

export interface RegistryHost {
  /** The host part of image references, e.g. `pullproof-registry:5000`; the directory name. */
  readonly host: string;
  /** Where containerd really connects, e.g. `http://pullproof-registry:5000` (Docker DNS on the kind network). */
  readonly server: string;
}

export function hostsToml(registry: RegistryHost): string {
  if (!/^http:\/\/[^/\s"]+$/.test(registry.server)) {
    // Plain HTTP comes only from the `http://` scheme (there is no plain_http key); `skip_verify`, `ca` or
    // `client` on an http host with a non-80 port makes containerd try HTTPS first (containerd docs/hosts.md),
    // so neither is ever written.
    throw new ClusterConfigError('registry.server', registry.server, 'must be http://<host>[:port] with no path (the test registry speaks plain HTTP)');
  }
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry.host)) {
    throw new ClusterConfigError('registry.host', registry.host, 'must be <host>[:port] as it appears in image references');
  }
  return `server = "${registry.server}"\n\n[host."${registry.server}"]\n  capabilities = ["pull", "resolve"]\n`;
}

export async function writeCertsDir(dir: string, registries: readonly RegistryHost[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const registry of registries) {
    const content = hostsToml(registry);
    await mkdir(join(dir, registry.host), { recursive: true });
    await writeFile(join(dir, registry.host, 'hosts.toml'), content);
  }
}
