import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type ApiServerOptions, type StartedApiServer } from '../../../../standin/apiserver/index.ts';

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const BOOTSTRAP = 'abcdef.0123456789abcdef';

export interface Harness {
  readonly server: StartedApiServer;
  readonly kubeconfigPath: string;
  readonly kc: KubeConfig;
  readonly logs: string[];
  readonly publicKeyPem: string;
  close(): Promise<void>;
}

/** kubeadm writes sa.key as PKCS#1; the server must accept that. */
export function serviceAccountKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** A plain-HTTP stand-in with a kubeconfig using a bootstrap token (client-node needs insecure-skip-tls-verify for http). */
export async function startPlain(extra: Partial<ApiServerOptions> = {}): Promise<Harness> {
  const logs: string[] = [];
  const keys = serviceAccountKeys();
  const server = await startApiServer({
    listen: { host: '127.0.0.1', port: 0 },
    serviceAccountSigningKey: keys,
    issuer: ISSUER,
    bootstrapTokens: [BOOTSTRAP],
    defaultServiceAccountDelayMs: [200, 300],
    log: (line) => logs.push(line),
    ...extra,
  });
  const dir = await mkdtemp(join(tmpdir(), 'pullproof-standin-api-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, `apiVersion: v1
kind: Config
clusters: [{ name: standin, cluster: { server: "${server.url}", insecure-skip-tls-verify: true } }]
users: [{ name: standin, user: { token: ${BOOTSTRAP} } }]
contexts: [{ name: standin, context: { cluster: standin, user: standin } }]
current-context: standin
`);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    server,
    kubeconfigPath,
    kc,
    logs,
    publicKeyPem: keys.publicKeyPem,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface StatusBody {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field: string }[] };
}

/** client-node's ApiException carries the Status as a JSON string body. */
export async function apiError(promise: Promise<unknown>): Promise<{ code: number; body: StatusBody }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: number; body?: unknown };
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as StatusBody) : (e.body as StatusBody);
    return { code: e.code ?? 0, body };
  }
  throw new Error('expected the call to fail');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}
