import type { ServerResponse } from 'node:http';
import { groupVersion, type ResourceType } from './resources.ts';
import { fieldMatcher, labelMatcher } from './selectors.ts';
import { expired } from './status-errors.ts';
import type { ObjectStore, StoreEvent } from './store.ts';
import type { JsonObject, KubeObject } from './types.ts';

/**
 * Watch streams as the cacher serves them (k8s.io/apiserver pkg/storage/cacher/cacher.go,
 * cache_watcher.go): no resourceVersion (or "0") starts with synthetic ADDED events for the current
 * state; a resourceVersion replays history after it, or answers one ERROR event with a 410 Expired
 * Status when it is too old; filtered watches turn an object that starts/stops matching into
 * ADDED/DELETED; timeoutSeconds ends the stream; allowWatchBookmarks adds BOOKMARK events.
 */

export interface WatchRequest {
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly query: URLSearchParams;
}

/** The real server picks a random timeout in [minRequestTimeout, 2×) = [1800, 3600) s. */
const DEFAULT_TIMEOUT_SECONDS = 1800;
/** The cacher sends bookmarks about once a minute; pullproof's clients do not depend on the exact cadence. */
const BOOKMARK_INTERVAL_MS = 60_000;

export function serveWatch(store: ObjectStore, request: WatchRequest, res: ServerResponse, onClose: () => void): void {
  const { type, namespace, query } = request;
  const byLabel = labelMatcher(query.get('labelSelector') ?? undefined);
  const byField = fieldMatcher(type.kind, query.get('fieldSelector') ?? undefined);
  const inScope = (o: KubeObject): boolean => !type.namespaced || namespace === undefined || o.metadata.namespace === namespace;
  const matches = (o: KubeObject | undefined): boolean => o !== undefined && inScope(o) && byLabel(o) && byField(o);

  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  // The real server flushes the 200 before any event: a client's watch() resolves on the headers.
  res.flushHeaders();
  const write = (eventType: string, object: JsonObject): void => {
    res.write(`${JSON.stringify({ type: eventType, object })}\n`);
  };
  const forward = (event: StoreEvent): void => {
    if (event.resource !== type.resource) return;
    const now = matches(event.object);
    const before = event.type === 'MODIFIED' ? matches(event.previous) : now;
    if (event.type === 'MODIFIED' && now !== before) write(now ? 'ADDED' : 'DELETED', event.object);
    else if (now) write(event.type, event.object);
  };

  const rv = query.get('resourceVersion');
  let unsubscribe: () => void = () => undefined;
  if (!rv || rv === '0') {
    for (const object of store.list(type.resource, type.namespaced ? namespace : undefined)) if (matches(object)) write('ADDED', object);
    unsubscribe = store.subscribe(forward);
  } else {
    const from = Number(rv);
    const history = Number.isFinite(from) ? store.since(from) : undefined;
    if (!history) {
      // The cacher reports an expired resourceVersion inside the 200 stream as an ERROR event.
      write('ERROR', expired(from, store.oldestWatchable + 1).status);
      res.end();
      onClose();
      return;
    }
    for (const event of history) forward(event);
    unsubscribe = store.subscribe(forward);
  }

  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? DEFAULT_TIMEOUT_SECONDS);
  const timers: NodeJS.Timeout[] = [];
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    if (!res.writableEnded) res.end();
    onClose();
  };
  timers.push(setTimeout(finish, Math.max(0, timeoutSeconds) * 1000));
  if (query.get('allowWatchBookmarks') === 'true') {
    const bookmark = (): void => {
      write('BOOKMARK', { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(store.resourceVersion) } });
      timers.push(setTimeout(bookmark, BOOKMARK_INTERVAL_MS));
    };
    timers.push(setTimeout(bookmark, BOOKMARK_INTERVAL_MS));
  }
  res.on('close', finish);
}
