import { randomBytes } from 'node:crypto';
import {
  busyboxImage,
  pushImage,
  registryAuthFor,
  startRegistry,
  startTokenService,
  type AdminIdentity,
  type IssuerTrust,
  type StartedRegistry,
  type TokenService,
} from '../../registry/index.ts';
import { combinedPolicy, type ScenarioInstance } from './instantiate.ts';

/**
 * What every depth needs around the pods: the token service (in this process), the real registry
 * that trusts it, and the scenarios' private images pushed with an admin identity generated for
 * this run. Created once per run and shared by every scenario instance.
 */

export interface PullEnvironmentOptions {
  /** Docker network for the registry (the kind network at node/cluster depth). */
  readonly network?: string;
  /** Registry's alias on that network; pods then use `<alias>:5000`. */
  readonly registryAlias?: string;
  /** Where the token service listens and what it advertises (node depth: the kind network gateway). */
  readonly tokenServiceListen?: { readonly host?: string; readonly port?: number };
  readonly tokenServicePublicBaseUrl?: string;
  readonly issuers: readonly IssuerTrust[];
  readonly auditFile?: string;
  readonly registryImage?: string;
}

export interface PullEnvironment {
  readonly tokenService: TokenService;
  readonly registry: StartedRegistry;
  /** host[:port] pods reference images by. */
  readonly registryHost: string;
  /** Installs the scenarios' policy, audiences and pull-secret users, and pushes their images. */
  prepare(instances: readonly ScenarioInstance[]): Promise<void>;
  close(): Promise<void>;
}

/** The realm as this process reaches it: the listening address, with a wildcard bind read as loopback. */
function hostRealm(tokenService: TokenService): string {
  const host = ['0.0.0.0', '::', ''].includes(tokenService.address.host) ? '127.0.0.1' : tokenService.address.host;
  return `http://${host}:${tokenService.address.port}/token`;
}

export async function startPullEnvironment(options: PullEnvironmentOptions): Promise<PullEnvironment> {
  const admin: AdminIdentity = { username: 'pullproof-admin', password: randomBytes(24).toString('base64url') };
  const tokenService = await startTokenService({
    service: 'pullproof-registry',
    issuer: 'pullproof-token-service',
    ...(options.tokenServiceListen ? { listen: options.tokenServiceListen } : {}),
    ...(options.tokenServicePublicBaseUrl ? { publicBaseUrl: options.tokenServicePublicBaseUrl } : {}),
    serviceAccountIssuers: options.issuers,
    serviceAccountAudience: [],
    admin,
    policy: { subjects: [], roles: [] },
    ...(options.auditFile ? { auditFile: options.auditFile } : {}),
  });
  let registry: StartedRegistry;
  try {
    registry = await startRegistry({
      auth: registryAuthFor(tokenService),
      ...(options.network ? { network: options.network } : {}),
      ...(options.registryAlias ? { alias: options.registryAlias } : {}),
      ...(options.registryImage ? { image: options.registryImage } : {}),
    });
  } catch (error) {
    await tokenService.close();
    throw error;
  }
  const registryHost = registry.networkHost ?? registry.host;
  return {
    tokenService,
    registry,
    registryHost,
    async prepare(instances) {
      tokenService.setPolicy(combinedPolicy(instances));
      tokenService.setServiceAccountAudiences(instances.map((i) => i.acceptedAudience));
      tokenService.setStaticUsers(
        instances.flatMap((i) => i.pullSecretUsers.map((u) => ({ username: u.username, password: u.password, grants: [{ repositories: [...u.repositories], actions: ['pull' as const] }] }))),
      );
      const image = await busyboxImage();
      for (const instance of instances) {
        for (const { repository, tag } of instance.images) {
          // Pushed through the host-published port: the registry checks the admin's token like any other.
          await pushImage({ registryUrl: registry.url, repository, tag, image, credentials: admin, realmOverride: hostRealm(tokenService) });
        }
      }
    },
    async close() {
      await Promise.allSettled([registry.stop(), tokenService.close()]);
    },
  };
}
