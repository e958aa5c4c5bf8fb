import { badRequest } from './status-errors.ts';
import { clone, isObject, type Json, type JsonObject } from './types.ts';

/**
 * Patch application: JSON merge patch (RFC 7386, as k8s.io/apiserver pkg/endpoints/handlers/patch.go
 * applies it with evanphx/json-patch), a reduced strategic merge patch
 * (k8s.io/apimachinery pkg/util/strategicpatch/patch.go) and server-side apply reduced to a merge
 * (no field ownership, see README).
 */

export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * List fields with a patchMergeKey (`patchStrategy:"merge"` in k8s.io/api core/v1/types.go), as
 * paths with `[]` for "each element of". Lists not named here are replaced wholesale, as
 * strategicpatch does for lists without a merge strategy.
 */
const MERGE_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Pod: {
    'spec.containers': 'name',
    'spec.initContainers': 'name',
    'spec.ephemeralContainers': 'name',
    'spec.volumes': 'name',
    'spec.containers[].env': 'name',
    'spec.containers[].ports': 'containerPort',
    'spec.containers[].volumeMounts': 'mountPath',
    'status.conditions': 'type',
    'status.containerStatuses': 'name',
    'status.initContainerStatuses': 'name',
    'status.ephemeralContainerStatuses': 'name',
    'status.podIPs': 'ip',
    'status.hostIPs': 'ip',
    'metadata.ownerReferences': 'uid',
  },
  Node: { 'status.conditions': 'type', 'status.addresses': 'type', 'status.volumesAttached': 'name', 'metadata.ownerReferences': 'uid' },
};

function mergeKeyFor(kind: string, path: string): string | undefined {
  return MERGE_KEYS[kind]?.[path] ?? (path === 'metadata.ownerReferences' ? 'uid' : undefined);
}

function keyOf(element: Json, mergeKey: string): string | undefined {
  if (!isObject(element)) return undefined;
  const v = element[mergeKey];
  return v === undefined || v === null ? undefined : JSON.stringify(v);
}

function mergeList(kind: string, path: string, target: Json | undefined, patch: Json[], order: Json[] | undefined): Json[] {
  const mergeKey = mergeKeyFor(kind, path);
  if (!mergeKey) return clone(patch).filter((e) => !(isObject(e) && e.$patch === 'delete'));
  const result: Json[] = Array.isArray(target) ? clone(target) : [];
  for (const element of patch) {
    const key = keyOf(element, mergeKey);
    const index = key === undefined ? -1 : result.findIndex((e) => keyOf(e, mergeKey) === key);
    if (isObject(element) && element.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (isObject(element) && element.$patch === 'replace') throw badRequest('the stand-in API server does not implement $patch: replace inside lists');
    if (index >= 0) result[index] = strategicMerge(kind, `${path}[]`, result[index], element);
    else result.push(strategicMerge(kind, `${path}[]`, undefined, element));
  }
  // $setElementOrder/<field>: the listed elements first, in that order; others keep their relative order after them.
  if (order) {
    const wanted = order.map((o) => keyOf(o, mergeKey));
    const rank = (e: Json): number => {
      const i = wanted.indexOf(keyOf(e, mergeKey));
      return i < 0 ? wanted.length : i;
    };
    result.sort((a, b) => rank(a) - rank(b));
  }
  return result;
}

export function strategicMerge(kind: string, path: string, target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return null;
  const result: JsonObject = isObject(target) ? clone(target) : {};
  const prefix = path ? `${path}.` : '';
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys' || key === '$patch') continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((e) => !value.some((v) => JSON.stringify(v) === JSON.stringify(e)));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const orderValue = patch[`$setElementOrder/${key}`];
    if (Array.isArray(value)) result[key] = mergeList(kind, `${prefix}${key}`, result[key], value, Array.isArray(orderValue) ? orderValue : undefined);
    else if (isObject(value)) result[key] = strategicMerge(kind, `${prefix}${key}`, result[key], value);
    else result[key] = value;
  }
  // A $setElementOrder for a list the patch did not touch still reorders it.
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith('$setElementOrder/') || !Array.isArray(value)) continue;
    const field = key.slice('$setElementOrder/'.length);
    if (patch[field] === undefined && Array.isArray(result[field])) result[field] = mergeList(kind, `${prefix}${field}`, result[field], [], value);
  }
  return result;
}

/** RFC 6902 operations add/remove/replace/test (k8s accepts them via evanphx/json-patch). */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw badRequest('the JSON patch is not an array of operations');
  let doc = clone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw badRequest(`invalid JSON patch operation ${JSON.stringify(op)}`);
    const tokens = op.path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop();
    if (last === undefined) {
      if (op.op === 'replace' || op.op === 'add') doc = clone(op.value ?? null);
      continue;
    }
    let parent: Json = doc;
    for (const t of tokens) {
      const next: Json | undefined = Array.isArray(parent) ? parent[Number(t)] : isObject(parent) ? parent[t] : undefined;
      if (next === undefined) throw badRequest(`jsonpatch ${op.op} operation does not apply: doc is missing path: "${op.path}"`);
      parent = next;
    }
    const value = clone(op.value ?? null);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(index, 0, value);
      else if (op.op === 'remove') parent.splice(index, 1);
      else if (op.op === 'replace') parent[index] = value;
      else if (op.op === 'test' && JSON.stringify(parent[index]) !== JSON.stringify(value)) throw badRequest(`testing value ${op.path} failed`);
    } else if (isObject(parent)) {
      if (op.op === 'add' || op.op === 'replace') parent[last] = value;
      else if (op.op === 'remove') delete parent[last];
      else if (op.op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(value)) throw badRequest(`testing value ${op.path} failed`);
    } else throw badRequest(`jsonpatch ${op.op} operation does not apply: doc is missing path: "${op.path}"`);
    if (!['add', 'remove', 'replace', 'test'].includes(op.op)) throw badRequest(`Unexpected kind: ${op.op}`);
  }
  return doc;
}
