/** Parsers for the outputs of `docker version|info`, `kind version`, `kubectl version`, `docker network inspect`. */

export interface DockerVersion {
  readonly serverVersion: string;
  readonly apiVersion: string;
  readonly minApiVersion: string | undefined;
}

export interface DockerInfo {
  readonly storageDriver: string;
  readonly cgroupVersion: string;
  readonly cgroupDriver: string;
  readonly architecture: string;
  readonly dockerRootDir: string;
  readonly osType: string;
}

export interface KindNetwork {
  readonly driver: string;
  readonly ipv4Gateway: string | undefined;
  readonly ipv4Subnet: string | undefined;
  readonly containers: number;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `docker version --format '{{json .}}'`. */
export function parseDockerVersion(json: string): DockerVersion | undefined {
  const server = asRecord(asRecord(parseJson(json))?.Server);
  if (!server) return undefined;
  const engine = (Array.isArray(server.Components) ? server.Components : [])
    .map(asRecord)
    .find((c) => c?.Name === 'Engine');
  const details = asRecord(engine?.Details);
  const serverVersion = str(server.Version) ?? str(engine?.Version);
  const apiVersion = str(server.ApiVersion) ?? str(details?.ApiVersion);
  if (!serverVersion || !apiVersion) return undefined;
  return { serverVersion, apiVersion, minApiVersion: str(server.MinAPIVersion) ?? str(details?.MinAPIVersion) };
}

/** `docker info --format '{{json .}}'`. */
export function parseDockerInfo(json: string): DockerInfo | undefined {
  const info = asRecord(parseJson(json));
  if (!info || typeof info.Driver !== 'string') return undefined;
  return {
    storageDriver: info.Driver,
    cgroupVersion: str(info.CgroupVersion) ?? 'unknown',
    cgroupDriver: str(info.CgroupDriver) ?? 'unknown',
    architecture: str(info.Architecture) ?? 'unknown',
    dockerRootDir: str(info.DockerRootDir) ?? '/var/lib/docker',
    osType: str(info.OSType) ?? 'unknown',
  };
}

/** `kind version` prints e.g. `kind v0.33.0 go1.27.2 linux/amd64`. */
export function parseKindVersion(text: string): string | undefined {
  return /\bkind (v\d+\.\d+\.\d+(?:[-+][\w.-]+)?)/.exec(text)?.[1];
}

/** `kubectl version --client -o json`. */
export function parseKubectlVersion(json: string): string | undefined {
  return str(asRecord(asRecord(parseJson(json))?.clientVersion)?.gitVersion);
}

/** `docker network inspect kind` (an array with one network). */
export function parseKindNetwork(json: string): KindNetwork | undefined {
  const parsed = parseJson(json);
  const network = asRecord(Array.isArray(parsed) ? parsed[0] : undefined);
  if (!network) return undefined;
  const configs = (Array.isArray(asRecord(network.IPAM)?.Config) ? (asRecord(network.IPAM)?.Config as unknown[]) : []).map(asRecord);
  const v4 = configs.find((c) => typeof c?.Subnet === 'string' && c.Subnet.includes('.'));
  return {
    driver: str(network.Driver) ?? 'unknown',
    ipv4Gateway: str(v4?.Gateway),
    ipv4Subnet: str(v4?.Subnet),
    containers: Object.keys(asRecord(network.Containers) ?? {}).length,
  };
}

/** Compares dotted versions with an optional `v` prefix; pre-release suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split(/[-+]/)[0]!.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
