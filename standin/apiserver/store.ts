import { clone, str, type KubeObject } from './types.ts';

/**
 * In-memory storage with the etcd3 store's observable contract (k8s.io/apiserver pkg/storage/etcd3):
 * one global, monotonically increasing resourceVersion stamped on every write, and a bounded event
 * history that watches replay from (the watch cache, pkg/storage/cacher/watch_cache.go, whose
 * "too old resource version" answers a watch from before the window).
 */

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  readonly resource: string;
  readonly resourceVersion: number;
  readonly object: KubeObject;
  /** The object before a MODIFIED (filtered watches turn a match change into ADDED/DELETED). */
  readonly previous?: KubeObject;
}

export type Listener = (event: StoreEvent) => void;

/** Bounded like the watch cache (default capacity grows to thousands; a small window is enough here). */
const HISTORY_LIMIT = 5000;

function key(resource: string, namespace: string | undefined, name: string): string {
  return `${resource}/${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  #objects = new Map<string, KubeObject>();
  #rv = 0;
  #history: StoreEvent[] = [];
  #listeners = new Set<Listener>();

  /** The current resourceVersion (what a list returns as `metadata.resourceVersion`). */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** The oldest resourceVersion a watch may still start after. */
  get oldestWatchable(): number {
    return this.#history[0] ? this.#history[0].resourceVersion - 1 : this.#rv;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.#objects.get(key(resource, namespace, name));
    return object ? clone(object) : undefined;
  }

  list(resource: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const [k, object] of this.#objects) {
      if (!k.startsWith(`${resource}/`)) continue;
      if (namespace !== undefined && object.metadata.namespace !== namespace) continue;
      out.push(clone(object));
    }
    // etcd lists in key order: namespace, then name.
    return out.sort((a, b) => key(resource, str(a.metadata.namespace), a.metadata.name).localeCompare(key(resource, str(b.metadata.namespace), b.metadata.name)));
  }

  /** Writes (creating or replacing) and stamps a new resourceVersion; returns the stored copy. */
  put(resource: string, object: KubeObject): KubeObject {
    const k = key(resource, typeof object.metadata.namespace === 'string' ? object.metadata.namespace : undefined, object.metadata.name);
    const previous = this.#objects.get(k);
    const stored = clone(object);
    stored.metadata.resourceVersion = String(++this.#rv);
    this.#objects.set(k, stored);
    this.#emit({ type: previous ? 'MODIFIED' : 'ADDED', resource, resourceVersion: this.#rv, object: stored, ...(previous ? { previous } : {}) });
    return clone(stored);
  }

  /** Removes; the DELETED event carries the object at a new resourceVersion, as etcd3's watcher reports it. */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const k = key(resource, namespace, name);
    const previous = this.#objects.get(k);
    if (!previous) return undefined;
    this.#objects.delete(k);
    const gone = clone(previous);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit({ type: 'DELETED', resource, resourceVersion: this.#rv, object: gone, previous });
    return clone(gone);
  }

  /** Events after `resourceVersion`, or undefined when they have left the window. */
  since(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.oldestWatchable) return undefined;
    return this.#history.filter((e) => e.resourceVersion > resourceVersion);
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: StoreEvent): void {
    this.#history.push(event);
    if (this.#history.length > HISTORY_LIMIT) this.#history.splice(0, this.#history.length - HISTORY_LIMIT);
    for (const listener of [...this.#listeners]) listener(event);
  }
}
