/**
 * Wire-level shapes the stand-in API server stores and serves. Objects are kept as the JSON the
 * real API server would return (timestamps as RFC 3339 strings), not as @kubernetes/client-node
 * models (which turn timestamps into Dates): the server only ever reads and writes JSON.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export interface ObjectMeta extends JsonObject {
  name: string;
}

/** An object as stored: apiVersion, kind and metadata are always present. */
export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** A nested object field, created when absent (for writing defaults). */
export function child(parent: JsonObject, key: string): JsonObject {
  const existing = parent[key];
  if (isObject(existing)) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

export function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function objects(value: Json | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** Reads a dotted path (`spec.nodeName`) as a string, or undefined. */
export function stringAt(object: JsonObject, path: string): string | undefined {
  let current: Json | undefined = object;
  for (const part of path.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return str(current);
}

export function labelsOf(object: KubeObject): Record<string, string> {
  const labels = object.metadata.labels;
  const out: Record<string, string> = {};
  if (isObject(labels)) for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function nowRfc3339(): string {
  // metav1.Time marshals with second precision (RFC 3339, no fraction): k8s.io/apimachinery pkg/apis/meta/v1/time.go.
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
