import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { PUBLIC_PATHS, type Authenticator, type User } from './auth.ts';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import { parsePath, resourceType, SERVED_GROUP_VERSIONS, type ResourceType } from './resources.ts';
import { parseBody, PATCH_TYPES, type Registry, type Result } from './rest.ts';
import { ApiError, badRequest, forbidden, internal, notImplemented, unauthorized } from './status-errors.ts';
import { createToken, jwks, openIdConfiguration, type TokenIssuer } from './tokens.ts';
import { isObject, type JsonObject } from './types.ts';
import { serveWatch } from './watch.ts';

/**
 * The HTTP(S) edge: authentication, the path tree, and the one log line per request. Everything
 * that is not emulated answers loudly (501, or 404 where kube-apiserver has no such path) and is
 * recorded for `unimplemented()`.
 */

export interface ServerContext {
  readonly registry: Registry;
  readonly tokens: TokenIssuer;
  readonly authenticator: Authenticator;
  readonly jwksUri: () => string;
  readonly serverAddress: () => string;
  readonly version: string;
  readonly log: (line: string) => void;
  readonly recordUnimplemented: (line: string) => void;
}

/** Built-in resources and groups kube-apiserver serves that this stand-in does not (a 501, never a 404). */
const REAL_CORE_RESOURCES = new Set(['bindings', 'componentstatuses', 'configmaps', 'endpoints', 'limitranges', 'persistentvolumeclaims', 'persistentvolumes', 'podtemplates', 'replicationcontrollers', 'resourcequotas', 'services']);
const REAL_GROUPS = new Set(['apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'storage.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'certificates.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'scheduling.k8s.io', 'node.k8s.io', 'flowcontrol.apiserver.k8s.io', 'resource.k8s.io', 'storagemigration.k8s.io']);

interface Answer {
  readonly code: number;
  readonly body: JsonObject | string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

class Unimplemented extends Error {
  readonly answer: Answer;
  constructor(answer: Answer, what: string) {
    super(what);
    this.name = 'Unimplemented';
    this.answer = answer;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The RBAC denial kubeadm's default policy gives system:anonymous (responsewriters.Forbidden wording). */
function anonymousForbidden(method: string, pathname: string, query: URLSearchParams): ApiError {
  const parsed = parsePath(pathname);
  if (parsed.kind !== 'resource') return forbidden({ group: '', resource: '' }, '', `User "system:anonymous" cannot ${method.toLowerCase()} path ${JSON.stringify(pathname)}`);
  const verb = verbOf(method, parsed.name, query);
  const resource = parsed.subresource ? `${parsed.resource}/${parsed.subresource}` : parsed.resource;
  const scope = parsed.namespace ? `in the namespace ${JSON.stringify(parsed.namespace)}` : 'at the cluster scope';
  return forbidden({ group: parsed.group, resource: parsed.resource }, parsed.name ?? '', `User "system:anonymous" cannot ${verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(parsed.group)} ${scope}`);
}

function verbOf(method: string, name: string | undefined, query: URLSearchParams): string {
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET': return watch ? 'watch' : name ? 'get' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return name ? 'delete' : 'deletecollection';
    default: return method.toLowerCase();
  }
}

function decodeWriteBody(req: IncomingMessage, text: string, what: string): JsonObject {
  const type = mediaType(req);
  if (type === 'application/yaml') {
    const parsed: unknown = parseYaml(text);
    if (!isObject(parsed)) throw badRequest('the object provided is not an object');
    return parsed;
  }
  if (type === '' || type === 'application/json') return text.trim() === '' ? {} : parseBody(text);
  throw new Unimplemented({ code: 501, body: notImplemented(`${what} with Content-Type ${type}`).status }, `${what} (${type})`);
}

export async function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, user: User | undefined, url: URL): Promise<Answer | 'streaming'> {
  const method = req.method ?? 'GET';
  const path = url.pathname;
  const query = url.searchParams;
  const what = `${method} ${path}`;
  const unimplemented = (code = 501): never => {
    throw new Unimplemented(code === 404 ? { code: 404, body: '404 page not found\n', contentType: 'text/plain; charset=utf-8' } : { code, body: notImplemented(what).status }, `${what}${mediaType(req) ? ` (${mediaType(req)})` : ''}`);
  };
  if (!user && !PUBLIC_PATHS.includes(path)) throw anonymousForbidden(method, path, query);

  if (method === 'GET' && ['/healthz', '/livez', '/readyz'].includes(path)) return { code: 200, body: 'ok', contentType: 'text/plain; charset=utf-8' };
  if (method === 'GET' && path === '/version') return { code: 200, body: versionInfo(ctx.version) };
  // pkg/routes/openidmetadata.go: JSON config, JWKS as application/jwk-set+json, both cacheable for an hour.
  if (method === 'GET' && path === '/.well-known/openid-configuration') return { code: 200, body: openIdConfiguration(ctx.tokens.issuer, ctx.jwksUri()), headers: { 'cache-control': 'public, max-age=3600' } };
  if (method === 'GET' && path === '/openid/v1/jwks') return { code: 200, body: jwks(ctx.tokens.issuer), contentType: 'application/jwk-set+json', headers: { 'cache-control': 'public, max-age=3600' } };
  if (method === 'GET' && path === '/api') return { code: 200, body: apiVersions(ctx.serverAddress()) };
  if (method === 'GET' && path === '/apis') return { code: 200, body: apiGroupList() };

  const parsed = parsePath(path);
  if (parsed.kind === 'other') {
    const group = /^\/apis\/([^/]+)\/?$/.exec(path)?.[1];
    const doc = group && method === 'GET' ? apiGroupDocument(group) : undefined;
    if (doc) return { code: 200, body: doc };
    return unimplemented(group && REAL_GROUPS.has(group) ? 501 : 404);
  }
  const served = SERVED_GROUP_VERSIONS.some((g) => g.group === parsed.group && g.version === parsed.version);
  if (parsed.kind === 'group-version') {
    const list = served && method === 'GET' ? apiResourceList(parsed.group, parsed.version) : undefined;
    if (list) return { code: 200, body: list };
    return unimplemented(REAL_GROUPS.has(parsed.group) ? 501 : 404);
  }
  const type = served ? resourceType(parsed.group, parsed.resource) : undefined;
  if (!type) {
    const real = (parsed.group === '' && REAL_CORE_RESOURCES.has(parsed.resource)) || REAL_GROUPS.has(parsed.group) || parsed.resource === 'watch';
    return unimplemented(real ? 501 : 404);
  }
  // A cluster-scoped resource under /namespaces/<ns>/ has no route in kube-apiserver.
  if (!type.namespaced && parsed.namespace !== undefined) return unimplemented(404);
  const { namespace, name, subresource } = parsed;
  if (subresource !== undefined && !type.subresources.includes(subresource)) return unimplemented(501);
  const verb = verbOf(method, name, query);
  const registry = ctx.registry;
  const answer = (result: Result): Answer => result;

  if (subresource === 'token') {
    if (verb !== 'create' || !name || !namespace) throw registry.methodNotAllowed(type, verb);
    const body = decodeWriteBody(req, await readBody(req), what);
    return { code: 201, body: await createToken(registry.store, ctx.tokens, namespace, name, body) };
  }
  switch (verb) {
    case 'get':
      return { code: 200, body: registry.get(type, namespace, name ?? '') };
    case 'list':
      if (subresource) return unimplemented(404);
      return answer(registry.list(type, namespace, query));
    case 'watch':
      if (name || subresource) return unimplemented(501);
      serveWatch(registry.store, { type, ...(namespace !== undefined ? { namespace } : {}), query }, res, () => undefined);
      return 'streaming';
    case 'create':
      if (name || (type.namespaced && namespace === undefined)) throw registry.methodNotAllowed(type, 'create');
      return answer(await registry.create(type, namespace, decodeWriteBody(req, await readBody(req), what)));
    case 'update':
      return answer(await registry.update(type, namespace, name ?? '', decodeWriteBody(req, await readBody(req), what), subresource));
    case 'patch': {
      const contentType = mediaType(req);
      if (!(PATCH_TYPES as readonly string[]).includes(contentType)) {
        // kube-apiserver answers 415 for a patch type it does not know; record it too, it is a client bug worth seeing.
        ctx.recordUnimplemented(`${what} (${contentType || 'no Content-Type'})`);
      }
      return answer(await registry.patch(type, namespace, name ?? '', contentType, await readBody(req), query, subresource));
    }
    case 'delete': {
      const text = await readBody(req);
      return answer(registry.delete(type, namespace, name ?? '', text.trim() ? parseBody(text) : {}, query));
    }
    default:
      return unimplemented(501);
  }
}

function send(res: ServerResponse, answer: Answer): void {
  const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.code, { 'content-type': answer.contentType ?? 'application/json', ...answer.headers });
  res.end(body);
}

export function createServer(ctx: ServerContext, tls: { cert: string; key: string; clientCa: string } | undefined): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://stand-in');
    let userName = '';
    const finish = (code: number, extra: JsonObject = {}): void => {
      ctx.log(JSON.stringify({ time: new Date().toISOString(), method: req.method ?? '', path: url.pathname, query: redactQuery(url.searchParams), code, user: userName, ms: Date.now() - started, ...extra }));
    };
    void (async () => {
      const auth = await ctx.authenticator.authenticate(req);
      if (auth.kind === 'invalid') {
        send(res, { code: 401, body: unauthorized().status });
        finish(401, { why: auth.why });
        return;
      }
      const user = auth.kind === 'user' ? auth.user : undefined;
      userName = user?.name ?? 'system:anonymous';
      const answer = await route(ctx, req, res, user, url);
      if (answer === 'streaming') {
        finish(200, { watch: true });
        return;
      }
      send(res, answer);
      finish(answer.code);
    })().catch((error: unknown) => {
      if (error instanceof Unimplemented) {
        ctx.recordUnimplemented(error.message);
        ctx.log(JSON.stringify({ unimplemented: error.message }));
        send(res, error.answer);
        finish(error.answer.code);
        return;
      }
      const apiError = error instanceof ApiError ? error : internal(error instanceof Error ? error.message : String(error));
      if (!res.headersSent) send(res, { code: apiError.code, body: apiError.status });
      else res.end();
      finish(apiError.code, apiError.code >= 500 ? { error: apiError.message } : { reason: apiError.reason });
    });
  };
  if (!tls) return createHttpServer(handler);
  // requestCert without rejecting: kube-apiserver verifies client certificates in its authenticator, not in the handshake.
  return createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: false }, handler);
}

/** Query parameters are logged except any that could carry credentials. */
function redactQuery(query: URLSearchParams): string {
  const copy = new URLSearchParams(query);
  for (const key of [...copy.keys()]) if (/token|secret|password/i.test(key)) copy.set(key, 'REDACTED');
  return copy.toString();
}

export function listeningUrl(server: Server, tls: boolean, host: string): string {
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'https' : 'http'}://${shown}:${port}`;
}

export type { ResourceType };
