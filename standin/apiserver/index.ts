import { createPrivateKey, createPublicKey } from 'node:crypto';
import { LocalServiceAccountIssuer } from '../../harness/identity/local-issuer.ts';
import { defaultNamespace } from './admission.ts';
import { createAuthenticator } from './auth.ts';
import { Controllers } from './controllers.ts';
import { resourceType } from './resources.ts';
import { Registry } from './rest.ts';
import { createServer, listeningUrl } from './server.ts';
import { ObjectStore } from './store.ts';

/**
 * A stand-in Kubernetes API server for pullproof's stand-in kind nodes (DESIGN.md decision 8b):
 * the part of the API the cluster runner and the stand-in kubelet use, with the real API's status
 * codes, watches and asynchronous controllers. What it does not emulate is listed in README.md.
 */

export interface ApiServerOptions {
  readonly listen: { readonly host: string; readonly port: number };
  /** PEM strings; absent = plain HTTP (tests only). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa: string };
  /** RSA, from /etc/kubernetes/pki/sa.key (PKCS#1 or PKCS#8) and sa.pub. */
  readonly serviceAccountSigningKey: { readonly privateKeyPem: string; readonly publicKeyPem: string };
  /** kubeadm's default is https://kubernetes.default.svc.cluster.local. */
  readonly issuer: string;
  /** What discovery advertises; default https://<listen host>:<port>/openid/v1/jwks (kube-apiserver's external-address default). */
  readonly jwksUri?: string;
  /** Bearer tokens accepted as bootstrap tokens, `abcdef.0123456789abcdef`. */
  readonly bootstrapTokens: readonly string[];
  /** When the `default` ServiceAccount appears after its namespace; default [200, 500] ms. */
  readonly defaultServiceAccountDelayMs?: readonly [number, number];
  /** `/version` gitVersion, e.g. the node image's /kind/version (`v1.33.1`). Default v1.33.0. */
  readonly version?: string;
  readonly log: (line: string) => void;
  /** Called with each line `unimplemented()` records, as it happens (the node entry keeps them in a file the harness reads). */
  readonly onUnimplemented?: (line: string) => void;
}

export interface StartedApiServer {
  readonly url: string;
  close(): Promise<void>;
  /** One line per call the stand-in does not emulate (`PATCH /apis/apps/v1/... (application/json-patch+json)`). */
  unimplemented(): readonly string[];
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startApiServer(options: ApiServerOptions): Promise<StartedApiServer> {
  const privateKeyPem = createPrivateKey(options.serviceAccountSigningKey.privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = createPublicKey(options.serviceAccountSigningKey.publicKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  const issuer = await LocalServiceAccountIssuer.fromKeyPair({ issuer: options.issuer, privateKeyPem, publicKeyPem });
  // --api-audiences defaults to the issuer (kube-apiserver options/authentication.go).
  const apiAudiences = [options.issuer];
  const store = new ObjectStore();
  const registry = new Registry(store);
  const controllers = new Controllers(registry, { defaultServiceAccountDelayMs: options.defaultServiceAccountDelayMs ?? [200, 500], namespacePurgeDelayMs: 300, log: options.log });
  seed(registry);

  const unimplemented: string[] = [];
  let url = '';
  const server = createServer(
    {
      registry,
      tokens: { issuer, apiAudiences },
      authenticator: createAuthenticator({ bootstrapTokens: options.bootstrapTokens, issuer: options.issuer, apiAudiences, publicKeyPem }),
      jwksUri: () => options.jwksUri ?? `${url.replace(/^http:/, 'https:')}/openid/v1/jwks`,
      serverAddress: () => url.replace(/^https?:\/\//, ''),
      version: options.version ?? 'v1.33.0',
      log: options.log,
      recordUnimplemented: (line) => {
        unimplemented.push(line);
        options.onUnimplemented?.(line);
      },
    },
    options.tls,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  url = listeningUrl(server, options.tls !== undefined, options.listen.host);
  options.log(JSON.stringify({ msg: 'stand-in API server listening', url, issuer: options.issuer }));
  return {
    url,
    unimplemented: () => [...unimplemented],
    close: async () => {
      controllers.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What kubeadm leaves in a fresh cluster that clients may read: the system namespaces with their `default` accounts. */
function seed(registry: Registry): void {
  const namespaces = resourceType('', 'namespaces');
  const serviceAccounts = resourceType('', 'serviceaccounts');
  if (!namespaces || !serviceAccounts) throw new Error('stand-in API server: resource table lacks namespaces or serviceaccounts');
  for (const name of SYSTEM_NAMESPACES) {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    defaultNamespace(ns);
    registry.insert(namespaces, ns);
    registry.insert(serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
  }
}
