import { randomUUID } from 'node:crypto';
import type { MintOptions } from '../identity/local-issuer.ts';
import { KubeletCredentialCache, type CacheEntryOrigin } from './credential-cache.ts';
import { runConformance, type ConformanceOptions, type ConformanceResult, type TokenSource } from './runner.ts';

/**
 * A sequence of pulls on one kubelet: the same per-provider caches, one virtual clock, the same
 * ServiceAccount UIDs and one token per pod. For each pull it answers the question a plugin author
 * must answer before shipping: does kubelet exec the plugin or reuse a cached credential — and if
 * it reuses one, whose was it?
 */

export interface SequencePull {
  readonly image: string;
  readonly namespace: string;
  /** '' for a pod without a service account. */
  readonly serviceAccount: string;
  readonly podName: string;
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
  /** Virtual time of this pull, ms since the first (must not go backwards). */
  readonly atMs: number;
}

export interface SequenceOptions extends Omit<ConformanceOptions, 'image' | 'pod' | 'cache' | 'nowMs' | 'pullIndex' | 'tokenSource'> {
  readonly pulls: readonly SequencePull[];
  readonly tokenSource: TokenSource;
}

/** A credential served from the cache to someone other than the pull that made it. */
export interface CacheReuse {
  readonly provider: string;
  readonly origin: CacheEntryOrigin;
  /** What differs between the pull that made the entry and this one. */
  readonly across: readonly ('service-account' | 'pod' | 'image')[];
}

export interface SequenceStep {
  readonly index: number;
  readonly atMs: number;
  readonly pull: SequencePull;
  readonly result: ConformanceResult;
  readonly reuse: readonly CacheReuse[];
}

/**
 * kubelet's token manager hands a pod the same token until it needs refreshing
 * (k/k pkg/kubelet/token/token_manager.go requiresRefresh: older than 80% of its TTL, or than
 * 24h — not re-read for this change), so a `Token` cache entry can be hit again by the same pod
 * and never by another.
 */
function tokenManager(source: TokenSource, now: () => number): TokenSource {
  const issued = new Map<string, { token: string; refreshAt: number }>();
  return {
    mint: async (o: MintOptions) => {
      const key = JSON.stringify([o.namespace, o.serviceAccountName, o.serviceAccountUid, o.audience, o.pod?.uid]);
      const cached = issued.get(key);
      if (cached && now() < cached.refreshAt) return cached.token;
      const token = await source.mint(o);
      issued.set(key, { token, refreshAt: now() + 0.8 * (o.expiresInSeconds ?? 3600) * 1000 });
      return token;
    },
  };
}

function reuseOf(result: ConformanceResult, pull: SequencePull, index: number): CacheReuse[] {
  const out: CacheReuse[] = [];
  for (const p of result.providers) {
    const origin = p.cache?.servedFrom?.origin;
    if (!origin || origin.pull === index) continue;
    const across: CacheReuse['across'][number][] = [];
    if (origin.namespace !== pull.namespace || origin.serviceAccount !== (p.plan.invoke && p.plan.audience !== undefined ? pull.serviceAccount : '')) across.push('service-account');
    if (origin.podName !== pull.podName) across.push('pod');
    if (origin.image !== result.repository) across.push('image');
    if (across.length > 0) out.push({ provider: p.name, origin, across });
  }
  return out;
}

export async function runPullSequence(options: SequenceOptions): Promise<SequenceStep[]> {
  const cache = new KubeletCredentialCache(0);
  let nowMs = 0;
  const tokens = tokenManager(options.tokenSource, () => nowMs);
  const saUids = new Map<string, string>();
  const podUids = new Map<string, string>();
  const steps: SequenceStep[] = [];
  for (const [index, pull] of options.pulls.entries()) {
    if (pull.atMs < nowMs) throw new Error(`pull ${index + 1} is at ${pull.atMs} ms, before the previous pull (${nowMs} ms): times must not go backwards`);
    nowMs = pull.atMs;
    const saKey = `${pull.namespace}/${pull.serviceAccount}`;
    if (!saUids.has(saKey)) saUids.set(saKey, randomUUID());
    const podKey = `${pull.namespace}/${pull.podName}`;
    if (!podUids.has(podKey)) podUids.set(podKey, randomUUID());
    const { pulls: _pulls, ...common } = options;
    const result = await runConformance({
      ...common,
      image: pull.image,
      pod: {
        namespace: pull.namespace,
        podName: pull.podName,
        podUid: podUids.get(podKey) ?? randomUUID(),
        serviceAccountName: pull.serviceAccount,
        serviceAccountUid: saUids.get(saKey) ?? randomUUID(),
        serviceAccountAnnotations: pull.serviceAccountAnnotations,
      },
      tokenSource: tokens,
      cache,
      nowMs,
      pullIndex: index,
    });
    steps.push({ index, atMs: nowMs, pull, result, reuse: reuseOf(result, pull, index) });
  }
  return steps;
}
