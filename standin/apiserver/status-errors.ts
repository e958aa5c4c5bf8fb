import type { JsonObject } from './types.ts';

/**
 * `Status` objects exactly as kube-apiserver writes them. Messages and fields follow
 * k8s.io/apimachinery pkg/api/errors/errors.go (NewNotFound, NewAlreadyExists, NewConflict,
 * NewForbidden, NewInvalid, NewBadRequest, NewMethodNotSupported, NewUnauthorized, NewResourceExpired)
 * and k8s.io/apiserver pkg/endpoints/handlers/responsewriters/status.go (kind/apiVersion/metadata).
 */

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/** A request the server answers with a Status; carries the Status as a field. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: JsonObject;
  constructor(code: number, reason: string, message: string, details?: JsonObject) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
  }
}

/** GroupResource.String(): `pods`, `deployments.apps`. */
export function groupResourceString(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function details(gr: GroupResource, name: string): JsonObject {
  // omitempty on every StatusDetails field: no `group` for the core group, no `name` when empty.
  return { ...(name ? { name } : {}), ...(gr.group ? { group: gr.group } : {}), kind: gr.resource };
}

/** Go's %q for the plain strings Kubernetes names are. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${groupResourceString(gr)} ${quote(name)} not found`, details(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${groupResourceString(gr)} ${quote(name)} already exists`, details(gr, name));
}

export function conflict(gr: GroupResource, name: string, cause: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${groupResourceString(gr)} ${quote(name)}: ${cause}`, details(gr, name));
}

/** The optimistic-concurrency message: k8s.io/apiserver pkg/registry/generic/registry/store.go OptimisticLockErrorMsg. */
export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export function forbidden(gr: GroupResource, name: string, cause: string, causes: readonly StatusCause[] = []): ApiError {
  const resource = groupResourceString(gr);
  const message = !resource ? `forbidden: ${cause}` : name ? `${resource} ${quote(name)} is forbidden: ${cause}` : `${resource} is forbidden: ${cause}`;
  return new ApiError(403, 'Forbidden', message, { ...details(gr, name), ...(causes.length ? { causes: causes.map((c) => ({ ...c })) } : {}) });
}

export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** NewInvalid: details.kind is the Kind; the message joins the field errors (`[e1, e2]` for several, util/errors aggregate). */
export function invalid(gk: GroupKind, name: string, causes: readonly StatusCause[]): ApiError {
  const kind = gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
  const texts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const joined = texts.length === 0 ? '' : texts.length === 1 ? `: ${texts[0] ?? ''}` : `: [${texts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind} ${quote(name)} is invalid${joined}`, {
    ...(name ? { name } : {}),
    ...(gk.group ? { group: gk.group } : {}),
    kind: gk.kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** NewMethodNotSupported: `%s is not supported` with the action (`create`, `update`…) on the resource. */
export function methodNotSupported(gr: GroupResource, action: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `${action} is not supported on resources of kind ${quote(groupResourceString(gr))}`, { ...(gr.group ? { group: gr.group } : {}), kind: gr.resource });
}

/** What the authentication filter writes: k8s.io/apiserver pkg/endpoints/handlers/responsewriters/errors.go. */
export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

/** storage.NewTooLargeResourceVersionError / the watch cache's "too old": k8s.io/apiserver pkg/storage/cacher/watch_cache.go. */
export function expired(requested: number, oldest: number): ApiError {
  return new ApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** k8s.io/apiserver pkg/endpoints/handlers/patch.go: an unsupported patch Content-Type. */
export function unsupportedMediaType(contentType: string, accepted: readonly string[]): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, { causes: [{ reason: 'UnexpectedHeader', message: `unsupported media type ${quote(contentType)}`, field: 'Content-Type' }] });
}

/** Not a real reason: the stand-in's own answer for what kube-apiserver serves but this server does not emulate. */
export function notImplemented(what: string): ApiError {
  return new ApiError(501, 'NotImplemented', `the pullproof stand-in API server does not implement ${what}`);
}

export function internal(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}
