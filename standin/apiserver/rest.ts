import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { admitNamespace, admitPodServiceAccount, applyGenerateName, defaultNamespace, defaultPod, defaultSecret, IMMORTAL_NAMESPACES, validate } from './admission.ts';
import { jsonPatch, mergePatch, strategicMerge } from './patch.ts';
import { groupResource, groupVersion, type ResourceType } from './resources.ts';
import { fieldMatcher, labelMatcher } from './selectors.ts';
import { alreadyExists, type ApiError, badRequest, conflict, forbidden, invalid, methodNotSupported, notFound, OPTIMISTIC_LOCK_MESSAGE, unsupportedMediaType } from './status-errors.ts';
import type { ObjectStore } from './store.ts';
import { clone, isObject, nowRfc3339, str, type Json, type JsonObject, type KubeObject } from './types.ts';
import { fieldRequired } from './validation.ts';

/**
 * The generic registry verbs (k8s.io/apiserver pkg/registry/generic/registry/store.go) and the
 * per-kind strategies that matter to pullproof's clients. Pure over the store: no HTTP here.
 */

export interface Result {
  readonly code: number;
  readonly body: JsonObject;
}

/** Kinds whose strategy allows PUT to create (AllowCreateOnUpdate: RBAC and events). */
const CREATE_ON_UPDATE = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Event']);
/** Kinds whose main-resource update ignores status (the status lives behind `/status`). */
const STATUS_SPLIT = new Set(['Pod', 'Node', 'Namespace']);

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'] as const;

function scopeNamespace(type: ResourceType, namespace: string | undefined): string | undefined {
  return type.namespaced ? namespace : undefined;
}

export function parseBody(text: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(`the object provided is unrecognized or not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(parsed)) throw badRequest('the object provided is not a JSON object');
  return parsed;
}

function asKubeObject(type: ResourceType, body: JsonObject): KubeObject {
  const metadata = isObject(body.metadata) ? body.metadata : {};
  return { ...body, apiVersion: groupVersion(type), kind: type.kind, metadata: { ...metadata, name: str(metadata.name) ?? '' } };
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: null } });
  return strip(a) === strip(b);
}

export class Registry {
  readonly store: ObjectStore;
  constructor(store: ObjectStore) {
    this.store = store;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.store.get(type.resource, scopeNamespace(type, namespace), name);
    if (!object) throw notFound(groupResource(type), name);
    return object;
  }

  list(type: ResourceType, namespace: string | undefined, query: URLSearchParams): Result {
    const byLabel = labelMatcher(query.get('labelSelector') ?? undefined);
    const byField = fieldMatcher(type.kind, query.get('fieldSelector') ?? undefined);
    const items = this.store.list(type.resource, scopeNamespace(type, namespace)).filter((o) => byLabel(o) && byField(o));
    // Items in a list carry no apiVersion/kind on the wire from kube-apiserver's JSON; clients ignore them either way.
    return { code: 200, body: { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: String(this.store.resourceVersion) }, items: items.map((i) => { const { apiVersion: _a, kind: _k, ...rest } = i; return rest; }) } };
  }

  /** POST: admission, defaults, validation, then storage (pkg/endpoints/handlers/create.go order). */
  async create(type: ResourceType, namespace: string | undefined, body: JsonObject): Promise<Result> {
    const object = asKubeObject(type, body);
    if (type.namespaced) {
      const bodyNamespace = str(object.metadata.namespace);
      if (bodyNamespace && bodyNamespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      object.metadata.namespace = namespace ?? '';
    } else delete object.metadata.namespace;
    applyGenerateName(object);
    if (type.namespaced && namespace !== undefined) admitNamespace(this.store, type, namespace, object.metadata.name);
    if (type.kind === 'Pod') {
      defaultPod(object);
      await admitPodServiceAccount(this.store, object, namespace ?? '');
    }
    if (type.kind === 'Namespace') defaultNamespace(object);
    if (type.kind === 'Secret') defaultSecret(object);
    return { code: 201, body: this.insert(type, object) };
  }

  /** Validation and storage of a fully prepared object (controllers call this too). */
  insert(type: ResourceType, object: KubeObject): KubeObject {
    const causes = validate(type, object);
    if (causes.length > 0) throw invalid({ group: type.group, kind: type.kind }, object.metadata.name, causes);
    if (this.store.get(type.resource, scopeNamespace(type, str(object.metadata.namespace)), object.metadata.name)) throw alreadyExists(groupResource(type), object.metadata.name);
    // BeforeCreate/FillObjectMetaSystemFields: uid and creationTimestamp; resourceVersion comes from storage.
    object.metadata.uid = randomUUID();
    object.metadata.creationTimestamp = nowRfc3339();
    delete object.metadata.deletionTimestamp;
    delete object.metadata.resourceVersion;
    return this.store.put(type.resource, object);
  }

  /** PUT (and the tail of PATCH): preconditions, what the strategy keeps from the old object, validation. */
  async update(type: ResourceType, namespace: string | undefined, name: string, body: JsonObject, subresource: string | undefined): Promise<Result> {
    const incoming = asKubeObject(type, body);
    if (incoming.metadata.name && incoming.metadata.name !== name) throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    incoming.metadata.name = name;
    const existing = this.store.get(type.resource, scopeNamespace(type, namespace), name);
    if (!existing) {
      if (subresource || !CREATE_ON_UPDATE.has(type.kind)) throw notFound(groupResource(type), name);
      return this.create(type, namespace, incoming);
    }
    return { code: 200, body: this.replace(type, existing, incoming, subresource) };
  }

  replace(type: ResourceType, existing: KubeObject, incoming: KubeObject, subresource: string | undefined): KubeObject {
    const requested = str(incoming.metadata.resourceVersion);
    if (requested && requested !== existing.metadata.resourceVersion) throw conflict(groupResource(type), existing.metadata.name, OPTIMISTIC_LOCK_MESSAGE);
    let next: KubeObject;
    if (subresource === 'status') {
      // Status strategies (pod/node/namespace PrepareForUpdate) keep everything but status from the stored object.
      next = clone(existing);
      if (incoming.status !== undefined) next.status = clone(incoming.status);
    } else {
      next = clone(incoming);
      next.metadata = { ...incoming.metadata, name: existing.metadata.name };
      if (STATUS_SPLIT.has(type.kind)) {
        if (existing.status !== undefined) next.status = clone(existing.status);
        else delete next.status;
      }
    }
    // System fields are never taken from the client (rest.FillObjectMetaSystemFields / BeforeUpdate).
    for (const field of ['uid', 'creationTimestamp', 'namespace', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      const value = existing.metadata[field];
      if (value === undefined) delete next.metadata[field];
      else next.metadata[field] = value;
    }
    next.metadata.resourceVersion = existing.metadata.resourceVersion ?? '';
    if (type.kind === 'Pod' && JSON.stringify(next.spec) !== JSON.stringify(existing.spec)) next.metadata.generation = (typeof existing.metadata.generation === 'number' ? existing.metadata.generation : 1) + 1;
    const causes = validate(type, next);
    if (causes.length > 0) throw invalid({ group: type.group, kind: type.kind }, existing.metadata.name, causes);
    // GuaranteedUpdate writes nothing when the new object equals the stored one: the resourceVersion stays.
    if (sameContent(next, existing)) return existing;
    return this.store.put(type.resource, next);
  }

  async patch(type: ResourceType, namespace: string | undefined, name: string, contentType: string, text: string, query: URLSearchParams, subresource: string | undefined): Promise<Result> {
    const existing = this.store.get(type.resource, scopeNamespace(type, namespace), name);
    if (contentType === 'application/apply-patch+yaml') {
      // ValidatePatchOptions: apply needs a field manager.
      if (!query.get('fieldManager')) throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [fieldRequired('fieldManager', 'is required for apply patch')]);
      let applied: unknown;
      try {
        applied = parseYaml(text);
      } catch (error) {
        throw badRequest(`error decoding YAML: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!isObject(applied)) throw badRequest('the apply configuration is not an object');
      if (!existing) {
        if (subresource) throw notFound(groupResource(type), name);
        const metadata = isObject(applied.metadata) ? applied.metadata : {};
        if (str(metadata.name) && metadata.name !== name) throw badRequest(`the name of the object (${str(metadata.name) ?? ''}) does not match the name on the URL (${name})`);
        const created = await this.create(type, namespace, { ...applied, metadata: { ...metadata, name } });
        return created;
      }
      // Server-side apply reduced to a merge of the applied configuration (no managedFields; README).
      return { code: 200, body: this.replace(type, existing, asKubeObject(type, mergePatchObject(existing, applied)), subresource) };
    }
    if (!existing) throw notFound(groupResource(type), name);
    let patched: Json;
    if (contentType === 'application/merge-patch+json') patched = mergePatch(existing, parseBody(text));
    else if (contentType === 'application/strategic-merge-patch+json') patched = strategicMerge(type.kind, '', existing, parseBody(text));
    else if (contentType === 'application/json-patch+json') {
      let ops: unknown;
      try {
        ops = JSON.parse(text);
      } catch {
        throw badRequest('the JSON patch is not valid JSON');
      }
      patched = jsonPatch(existing, ops as Json);
    } else throw unsupportedMediaType(contentType, PATCH_TYPES);
    if (!isObject(patched)) throw badRequest('the patch did not produce an object');
    // A patch that carries metadata.resourceVersion is a precondition like an update's.
    return { code: 200, body: this.replace(type, existing, asKubeObject(type, patched), subresource) };
  }

  /** DELETE: the namespace and pod strategies' graceful paths, a Status for the rest (store.go finalizeDelete). */
  delete(type: ResourceType, namespace: string | undefined, name: string, options: JsonObject, query: URLSearchParams): Result {
    const existing = this.get(type, namespace, name);
    const preconditions = isObject(options.preconditions) ? options.preconditions : {};
    if (str(preconditions.uid) && preconditions.uid !== existing.metadata.uid) {
      throw conflict(groupResource(type), name, `Precondition failed: UID in precondition: ${str(preconditions.uid) ?? ''}, UID in object meta: ${str(existing.metadata.uid) ?? ''}`);
    }
    if (str(preconditions.resourceVersion) && preconditions.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(groupResource(type), name, `Precondition failed: ResourceVersion in precondition: ${str(preconditions.resourceVersion) ?? ''}, ResourceVersion in object meta: ${str(existing.metadata.resourceVersion) ?? ''}`);
    }
    if (type.kind === 'Namespace') return { code: 200, body: this.#deleteNamespace(existing) };
    if (type.kind === 'Pod') return { code: 200, body: this.#deletePod(existing, options, query) };
    this.store.remove(type.resource, scopeNamespace(type, namespace), name);
    return { code: 200, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, ...(type.group ? { group: type.group } : {}), kind: type.resource, uid: existing.metadata.uid ?? '' } } };
  }

  /** pkg/registry/core/namespace/storage/storage.go Delete: Terminating first; the namespace controller purges. */
  #deleteNamespace(ns: KubeObject): KubeObject {
    if (IMMORTAL_NAMESPACES.includes(ns.metadata.name)) throw forbidden({ group: '', resource: 'namespaces' }, ns.metadata.name, 'this namespace may not be deleted');
    if (ns.metadata.deletionTimestamp) {
      throw conflict({ group: '', resource: 'namespaces' }, ns.metadata.name, 'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.');
    }
    const next = clone(ns);
    next.metadata.deletionTimestamp = nowRfc3339();
    next.status = { ...(isObject(next.status) ? next.status : {}), phase: 'Terminating' };
    return this.store.put('namespaces', next);
  }

  /**
   * Pod strategy CheckGracefulDeleteForPod: grace from the request, else the spec; 0 for an
   * unscheduled or finished pod. Grace 0 removes at once; otherwise the pod gets
   * deletionTimestamp/deletionGracePeriodSeconds and waits for its kubelet's final delete.
   */
  #deletePod(pod: KubeObject, options: JsonObject, query: URLSearchParams): KubeObject {
    const spec = isObject(pod.spec) ? pod.spec : {};
    const phase = isObject(pod.status) ? pod.status.phase : undefined;
    const requested = query.get('gracePeriodSeconds') ?? (typeof options.gracePeriodSeconds === 'number' ? String(options.gracePeriodSeconds) : undefined);
    let grace = requested !== undefined ? Number(requested) : typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
    if (!str(spec.nodeName) || phase === 'Succeeded' || phase === 'Failed') grace = 0;
    const namespace = str(pod.metadata.namespace);
    if (grace <= 0) {
      this.store.remove('pods', namespace, pod.metadata.name);
      return pod;
    }
    const current = typeof pod.metadata.deletionGracePeriodSeconds === 'number' ? pod.metadata.deletionGracePeriodSeconds : undefined;
    if (current !== undefined && current <= grace) return pod;
    const next = clone(pod);
    next.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    next.metadata.deletionGracePeriodSeconds = grace;
    return this.store.put('pods', next);
  }

  methodNotAllowed(type: ResourceType, action: string): ApiError {
    return methodNotSupported(groupResource(type), action);
  }
}

function mergePatchObject(existing: KubeObject, applied: JsonObject): JsonObject {
  const merged = mergePatch(existing, applied);
  return isObject(merged) ? merged : {};
}
