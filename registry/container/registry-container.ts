import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { CONFIG_PATH, distributionConfig, REGISTRY_PORT, ROOT_CERT_PATH, STORAGE_PATH } from './registry-config.ts';
import { resolveRegistryImage, type RegistryImage } from './registry-image.ts';

/**
 * A distribution registry container. Token auth is on unless `auth` is omitted (the bench compares
 * against an auth-less registry). Storage is a tmpfs: nothing survives the container, and nothing
 * is left on the host. The port is published on 127.0.0.1 only.
 */

export interface RegistryAuthSettings {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM certificate(s) the registry trusts for token signatures (the token service's cert). */
  readonly rootCertificatePem: string;
}

export interface StartRegistryOptions {
  readonly auth?: RegistryAuthSettings;
  /** Docker network to join (e.g. `kind`); default: the default bridge. */
  readonly network?: string;
  /** Network alias (resolvable by peers on `network`). */
  readonly alias?: string;
  /** Container name; default `pullproof-registry-<random>`. */
  readonly name?: string;
  /** Image override (else registry:3 pinned, else the offline 2.8 build). */
  readonly image?: string;
  readonly startupTimeoutMs?: number;
}

export interface StartedRegistry {
  readonly image: RegistryImage;
  readonly containerName: string;
  /** `127.0.0.1:<port>`: the registry host as seen from this machine (image refs use it). */
  readonly host: string;
  readonly url: string;
  /** `<alias>:5000` on `network`, when an alias was given. */
  readonly networkHost?: string;
  readonly container: StartedTestContainer;
  /** The registry's own log (useful evidence: "insufficient scope", "untrusted issuer"...). */
  logs(): Promise<string>;
  stop(): Promise<void>;
}

export class RegistryStartError extends Error {
  readonly image: string;
  constructor(image: string, detail: string, options?: { cause?: unknown }) {
    super(`registry container from ${image} did not become ready: ${detail}; run with PULLPROOF_REGISTRY_IMAGE to try another image, or check \`docker info\``, options);
    this.name = 'RegistryStartError';
    this.image = image;
  }
}

/** GenericContainer whose published ports bind to 127.0.0.1 instead of every interface. */
class LoopbackContainer extends GenericContainer {
  protected override beforeContainerCreated(): Promise<void> {
    const portBindings = (this.hostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string }[]>;
    for (const bindings of Object.values(portBindings)) {
      for (const binding of bindings) binding.HostIp = '127.0.0.1';
    }
    return Promise.resolve();
  }
}

/** /v2/ answers 401 with token auth on and 200 without: either means "serving". */
async function waitForV2(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 401 || response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`GET ${url} did not answer 401/200 within ${timeoutMs} ms (last: ${last})`);
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<StartedRegistry> {
  const image = await resolveRegistryImage(options.image ? { override: options.image } : {});
  const containerName = options.name ?? `pullproof-registry-${randomBytes(4).toString('hex')}`;
  const files = [{ content: distributionConfig(options.auth ? { ...options.auth, rootCertBundlePath: ROOT_CERT_PATH } : undefined), target: CONFIG_PATH }];
  if (options.auth) files.push({ content: options.auth.rootCertificatePem, target: ROOT_CERT_PATH });
  let builder = new LoopbackContainer(image.ref)
    .withName(containerName)
    .withLabels({ 'org.pullproof.component': 'registry' })
    .withCommand([CONFIG_PATH])
    .withCopyContentToContainer(files)
    .withTmpFs({ [STORAGE_PATH]: 'rw,size=256m' })
    .withExposedPorts(REGISTRY_PORT)
    // testcontainers' HTTP wait would probe its idea of the docker host (the bridge gateway when it
    // detects a container), not our 127.0.0.1 binding: wait for the first log line (2.8 and 3.x both
    // log logrus text), then probe /v2/ on 127.0.0.1 ourselves (waitForV2).
    .withWaitStrategy(Wait.forLogMessage(/listening on|level=/))
    .withStartupTimeout(options.startupTimeoutMs ?? 60_000)
    .withPullPolicy({ shouldPull: () => false });
  if (options.network) builder = builder.withNetworkMode(options.network);
  if (options.alias) builder = builder.withNetworkAliases(options.alias);
  let container: StartedTestContainer;
  try {
    container = await builder.start();
  } catch (error) {
    throw new RegistryStartError(image.ref, error instanceof Error ? error.message : String(error), { cause: error });
  }
  const host = `127.0.0.1:${container.getMappedPort(REGISTRY_PORT)}`;
  try {
    await waitForV2(`http://${host}/v2/`, options.startupTimeoutMs ?? 60_000);
  } catch (error) {
    await container.stop({ remove: true, timeout: 2_000 }).catch(() => undefined);
    throw new RegistryStartError(image.ref, error instanceof Error ? error.message : String(error), { cause: error });
  }
  return {
    image,
    containerName,
    host,
    url: `http://${host}`,
    ...(options.alias ? { networkHost: `${options.alias}:${REGISTRY_PORT}` } : {}),
    container,
    async logs() {
      const result = await execa('docker', ['logs', containerName], { reject: false, all: true });
      return result.all;
    },
    async stop() {
      await container.stop({ remove: true, removeVolumes: true, timeout: 5_000 });
    },
  };
}
