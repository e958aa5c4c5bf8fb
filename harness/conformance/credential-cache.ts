import { cacheKey, parseRegistry } from './cache-key.ts';
import type { AuthEntry } from './protocol.ts';

/**
 * kubelet's in-memory credential cache, one per provider (k/k pkg/credentialprovider/plugin/plugin.go,
 * read at 01302639 (v1.33: three explicit lookups) and the newer stored version with
 * `globalCacheKey = "<global>"` and `baseCacheKeyCandidates` (find_string id 813726854)):
 *
 * - store: client-go `cache.NewExpirationStore(cacheKeyFunc, &cacheExpirationPolicy{})`;
 *   `IsExpired` is `now.After(expiresAt)`, and `GetByKey` deletes and misses an expired entry;
 * - `getCachedCredentials(image, saKey)`: first, if `now.After(lastCachePurge + 15m)`, `List()`
 *   (which drops every expired entry) and `lastCachePurge = now`; then look up, in this order,
 *   `generateCacheKey(image, saKey)`, `generateCacheKey(parseRegistry(image), saKey)`,
 *   `generateCacheKey(globalCacheKey, saKey)` — the first live entry is returned whole, whatever
 *   image it was stored for (a Global entry serves every image of that provider, subject to the
 *   service-account part of the key);
 * - `provide()` stores after exec: `cacheDuration` 0 → not stored; unset → `defaultCacheDuration`
 *   (0 → not stored); otherwise `expiresAt = now + duration` — a negative duration is stored
 *   already expired and never served.
 *
 * Time is virtual (milliseconds on a clock the caller advances), so a pull sequence is replayable.
 */

export const CACHE_PURGE_INTERVAL_MS = 15 * 60_000;

/** Who a cached entry was made for: the pull that made it. */
export interface CacheEntryOrigin {
  /** Index of the pull in the sequence that executed the plugin. */
  readonly pull: number;
  readonly image: string;
  readonly namespace: string;
  /** '' when the plugin ran without a service account. */
  readonly serviceAccount: string;
  readonly podName: string;
}

export interface CacheEntry {
  readonly keyHex: string;
  readonly baseKey: string;
  readonly cacheKeyType: string;
  /** Virtual ms. */
  readonly expiresAt: number;
  readonly auth: readonly (readonly [string, AuthEntry])[];
  readonly origin: CacheEntryOrigin;
}

export interface CacheLookup {
  /** The entry found, or undefined on a miss. */
  readonly entry: CacheEntry | undefined;
  /** The base keys tried, in kubelet's order, and what each gave. */
  readonly tried: readonly { readonly baseKey: string; readonly result: 'hit' | 'miss' | 'expired' }[];
  /** Entries dropped by the 15-minute purge that ran before this lookup. */
  readonly purged: number;
}

export class ProviderCredentialCache {
  readonly #entries = new Map<string, CacheEntry>();
  #lastPurge: number;

  constructor(startMs = 0) {
    this.#lastPurge = startMs; // newPluginProvider: lastCachePurge: clock.Now()
  }

  get size(): number {
    return this.#entries.size;
  }

  lookup(image: string, saKey: Buffer | undefined, globalKey: string, nowMs: number): CacheLookup {
    let purged = 0;
    if (nowMs > this.#lastPurge + CACHE_PURGE_INTERVAL_MS) {
      for (const [key, entry] of this.#entries) {
        if (nowMs > entry.expiresAt) {
          this.#entries.delete(key);
          purged++;
        }
      }
      this.#lastPurge = nowMs;
    }
    const tried: { baseKey: string; result: 'hit' | 'miss' | 'expired' }[] = [];
    for (const baseKey of [image, parseRegistry(image), globalKey]) {
      const keyHex = cacheKey(baseKey, saKey).toString('hex');
      const entry = this.#entries.get(keyHex);
      if (entry === undefined) {
        tried.push({ baseKey, result: 'miss' });
        continue;
      }
      if (nowMs > entry.expiresAt) {
        this.#entries.delete(keyHex); // ExpirationStore.GetByKey deletes an expired entry
        tried.push({ baseKey, result: 'expired' });
        continue;
      }
      tried.push({ baseKey, result: 'hit' });
      return { entry, tried, purged };
    }
    return { entry: undefined, tried, purged };
  }

  /** cache.Add: replaces any entry under the same key. */
  add(entry: CacheEntry): void {
    this.#entries.set(entry.keyHex, entry);
  }
}

/** One cache per provider name, as kubelet keeps one pluginProvider per configured provider. */
export class KubeletCredentialCache {
  readonly #providers = new Map<string, ProviderCredentialCache>();
  readonly #startMs: number;

  constructor(startMs = 0) {
    this.#startMs = startMs;
  }

  forProvider(name: string): ProviderCredentialCache {
    let cache = this.#providers.get(name);
    if (!cache) {
      cache = new ProviderCredentialCache(this.#startMs);
      this.#providers.set(name, cache);
    }
    return cache;
  }
}
