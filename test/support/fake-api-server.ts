import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A loopback stand-in for the Kubernetes API server, for the few harness steps that talk to a real
 * cluster (which only exists in `make e2e`): it records every request and answers with `handle`.
 */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly contentType: string;
  readonly body: string;
}

export interface FakeApiServer {
  readonly kubeconfig: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** `handle` returns the JSON to answer with, or undefined for a 404. */
export async function startFakeApiServer(handle: (request: SeenRequest) => unknown): Promise<FakeApiServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void bodyOf(req).then((body) => {
      const request = { method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body };
      seen.push(request);
      const answer = handle(request);
      res.setHeader('content-type', 'application/json');
      if (answer === undefined) res.statusCode = 404;
      res.end(answer === undefined ? '{}' : typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dir = await mkdtemp(join(tmpdir(), 'pullproof-kubeapi-'));
  const kubeconfig = join(dir, 'kubeconfig');
  // client-node refuses plain HTTP unless TLS verification is explicitly skipped.
  await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: fake, user: { token: fake-token } }]
contexts: [{ name: fake, context: { cluster: fake, user: fake } }]
current-context: fake
`);
  return {
    kubeconfig,
    seen,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Discovery for the RBAC group: KubernetesObjectApi maps kind → resource through it. */
export const RBAC_DISCOVERY = {
  kind: 'APIResourceList',
  groupVersion: 'rbac.authorization.k8s.io/v1',
  resources: [
    { name: 'clusterroles', namespaced: false, kind: 'ClusterRole', verbs: ['patch'] },
    { name: 'clusterrolebindings', namespaced: false, kind: 'ClusterRoleBinding', verbs: ['patch'] },
  ],
};
