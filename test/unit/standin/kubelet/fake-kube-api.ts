import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type CoreV1Event, type V1Node, type V1Pod, type V1Secret, type V1ServiceAccount } from '@kubernetes/client-node';

/**
 * A loopback kube-apiserver for the stand-in kubelet's unit tests: pods (list, watch with
 * fieldSelector spec.nodeName, status PATCH, DELETE), nodes (create, status PATCH), events,
 * secrets, serviceaccounts and TokenRequest, answering with real `Status` errors. Only what the
 * kubelet calls is implemented; patches are applied as "replace status / merge conditions by type".
 */

export interface TokenRequestSeen {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly body: { spec?: { audiences?: string[]; boundObjectRef?: Record<string, string>; expirationSeconds?: number } };
}

export interface FakeKubeApi {
  readonly kubeconfig: KubeConfig;
  readonly nodes: Map<string, V1Node>;
  readonly pods: Map<string, V1Pod>;
  readonly events: CoreV1Event[];
  readonly statusPatches: { pod: string; contentType: string; body: Record<string, unknown> }[];
  readonly tokenRequests: TokenRequestSeen[];
  readonly deletes: { pod: string; body: string }[];
  secrets: Map<string, V1Secret>;
  serviceAccounts: Map<string, V1ServiceAccount>;
  /** Answer TokenRequests with this 403 message instead of a token. */
  tokenForbidden: string | undefined;
  addPod(pod: V1Pod): void;
  /** Graceful deletion: sets deletionTimestamp (the kubelet finishes it). */
  markDeleting(namespace: string, name: string): void;
  close(): Promise<void>;
}

function status(code: number, reason: string, message: string, details: Record<string, string>): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  let rv = 100;
  const watchers = new Set<{ node: string; res: ServerResponse }>();
  const api: FakeKubeApi = {
    kubeconfig: new KubeConfig(),
    nodes: new Map(), pods: new Map(), events: [], statusPatches: [], tokenRequests: [], deletes: [],
    secrets: new Map(), serviceAccounts: new Map(), tokenForbidden: undefined,
    addPod: (pod) => {
      const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
      pod.metadata = { ...pod.metadata, resourceVersion: String(++rv) };
      api.pods.set(key, pod);
      notify('ADDED', pod);
    },
    markDeleting: (namespace, name) => {
      const pod = api.pods.get(`${namespace}/${name}`);
      if (!pod) return;
      pod.metadata = { ...pod.metadata, deletionTimestamp: new Date(), resourceVersion: String(++rv) };
      notify('MODIFIED', pod);
    },
    close: async () => {
      for (const w of watchers) w.res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  // Watch events are kept so a watch opened at an older resourceVersion gets them replayed, as
  // kube-apiserver's watch cache does.
  const history: { rv: number; node: string; line: string }[] = [];
  const notify = (type: string, pod: V1Pod): void => {
    const line = `${JSON.stringify({ type, object: pod })}\n`;
    history.push({ rv, node: pod.spec?.nodeName ?? '', line });
    for (const w of watchers) if (pod.spec?.nodeName === w.node) w.res.write(line);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await bodyOf(req);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const send = (code: number, payload: unknown): void => {
      res.statusCode = code;
      res.setHeader('content-type', 'application/json');
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/api/v1/nodes') {
      const node = JSON.parse(body) as V1Node;
      const name = node.metadata?.name ?? '';
      if (api.nodes.has(name)) return send(409, status(409, 'AlreadyExists', `nodes "${name}" already exists`, { name, kind: 'nodes' }));
      api.nodes.set(name, node);
      return send(201, node);
    }
    if ((m = /^\/api\/v1\/nodes\/([^/]+)\/status$/.exec(path)) && method === 'PATCH') {
      const node = api.nodes.get(m[1] ?? '');
      if (!node) return send(404, status(404, 'NotFound', `nodes "${m[1] ?? ''}" not found`, { name: m[1] ?? '', kind: 'nodes' }));
      const patch = JSON.parse(body) as { status?: { conditions?: { type: string }[] } };
      const conditions = [...(node.status?.conditions ?? [])] as unknown as { type: string }[];
      for (const c of patch.status?.conditions ?? []) {
        const i = conditions.findIndex((x) => x.type === c.type);
        if (i >= 0) conditions[i] = c;
        else conditions.push(c);
      }
      node.status = { ...node.status, conditions: conditions as never };
      return send(200, node);
    }
    if (path === '/api/v1/pods' && method === 'GET') {
      const node = (url.searchParams.get('fieldSelector') ?? '').replace('spec.nodeName=', '');
      if (url.searchParams.get('watch') === 'true') {
        res.statusCode = 200;
        res.setHeader('content-type', 'application/json');
        res.flushHeaders();
        const w = { node, res };
        const from = Number(url.searchParams.get('resourceVersion') ?? rv);
        for (const h of history) if (h.rv > from && h.node === node) res.write(h.line);
        watchers.add(w);
        req.on('close', () => watchers.delete(w));
        return;
      }
      return send(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items: [...api.pods.values()].filter((p) => p.spec?.nodeName === node) });
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/status$/.exec(path)) && method === 'PATCH') {
      const key = `${m[1] ?? ''}/${m[2] ?? ''}`;
      const pod = api.pods.get(key);
      if (!pod) return send(404, status(404, 'NotFound', `pods "${m[2] ?? ''}" not found`, { name: m[2] ?? '', kind: 'pods' }));
      const patch = JSON.parse(body) as Record<string, unknown> & { status?: V1Pod['status'] };
      api.statusPatches.push({ pod: key, contentType: req.headers['content-type'] ?? '', body: patch });
      pod.status = patch.status ?? {};
      pod.metadata = { ...pod.metadata, resourceVersion: String(++rv) };
      notify('MODIFIED', pod);
      return send(200, pod);
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path)) && method === 'DELETE') {
      const key = `${m[1] ?? ''}/${m[2] ?? ''}`;
      api.deletes.push({ pod: key, body });
      const pod = api.pods.get(key);
      if (!pod) return send(404, status(404, 'NotFound', `pods "${m[2] ?? ''}" not found`, { name: m[2] ?? '', kind: 'pods' }));
      api.pods.delete(key);
      notify('DELETED', pod);
      return send(200, pod);
    }
    if (/^\/api\/v1\/namespaces\/([^/]+)\/events$/.test(path) && method === 'POST') {
      const event = JSON.parse(body) as CoreV1Event;
      api.events.push(event);
      return send(201, event);
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path)) && method === 'GET') {
      const secret = api.secrets.get(`${m[1] ?? ''}/${m[2] ?? ''}`);
      return secret ? send(200, secret) : send(404, status(404, 'NotFound', `secrets "${m[2] ?? ''}" not found`, { name: m[2] ?? '', kind: 'secrets' }));
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/.exec(path)) && method === 'POST') {
      api.tokenRequests.push({ namespace: m[1] ?? '', serviceAccount: m[2] ?? '', body: JSON.parse(body) as TokenRequestSeen['body'] });
      if (api.tokenForbidden) return send(403, status(403, 'Forbidden', api.tokenForbidden, { name: m[2] ?? '', kind: 'serviceaccounts' }));
      // A JWS-shaped value so redaction is exercised.
      return send(201, { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', status: { token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl', expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() } });
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)$/.exec(path)) && method === 'GET') {
      const sa = api.serviceAccounts.get(`${m[1] ?? ''}/${m[2] ?? ''}`);
      return sa ? send(200, sa) : send(404, status(404, 'NotFound', `serviceaccounts "${m[2] ?? ''}" not found`, { name: m[2] ?? '', kind: 'serviceaccounts' }));
    }
    return send(404, status(404, 'NotFound', `the server could not find the requested resource`, {}));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  api.kubeconfig.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'fake', token: 'abcdef.0123456789abcdef' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return api;
}
