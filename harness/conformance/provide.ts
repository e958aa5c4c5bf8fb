import type { CredentialProvider } from './config.ts';
import { formatGoDuration } from './go/duration.ts';
import { goQuote } from './go/quote.ts';
import { baseCacheKey, cacheKey, serviceAccountCacheKey, tokenHash } from './cache-key.ts';
import type { KubeletRules } from './kubelet-rules.ts';
import { isImageAllowed } from './match-images.ts';
import type { AuthEntry, CredentialProviderResponse } from './protocol.ts';

/**
 * The pure decisions of kubelet's pluginProvider.provide() (k/k pkg/credentialprovider/plugin/plugin.go):
 * before exec — is the plugin consulted, with which token audience and annotations; after exec —
 * are the returned credentials used, and under which cache key for how long.
 */

export interface PodIdentity {
  readonly namespace: string;
  readonly podName: string;
  readonly podUid: string;
  /** '' when the pod has no service account (e.g. a static pod). */
  readonly serviceAccountName: string;
  readonly serviceAccountUid: string;
  /** The service account object's annotations (all of them; kubelet forwards only listed keys). */
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
}

export type InvocationPlan =
  | { readonly invoke: false; readonly reason: 'image-not-matched' | 'service-account-required' | 'required-annotation-missing'; readonly kubeletLog: string }
  | {
      readonly invoke: true;
      /** undefined: the plugin gets no token (not in SA mode, or SA optional and absent). */
      readonly audience: string | undefined;
      readonly annotations: Readonly<Record<string, string>>;
      /** Whether kubelet runs in service-account mode for this provider at all. */
      readonly serviceAccountMode: boolean;
    };

export function planInvocation(provider: CredentialProvider, image: string, pod: PodIdentity, rules: KubeletRules): InvocationPlan {
  // isImageAllowed: no matchImages entry matches → empty DockerConfig, plugin not called.
  if (!isImageAllowed(provider.matchImages, image, { strictIPLiteral: rules.strictIPLiteral })) {
    return { invoke: false, reason: 'image-not-matched', kubeletLog: `image ${goQuote(image)} matches none of matchImages ${JSON.stringify(provider.matchImages)}` };
  }
  const t = provider.tokenAttributes;
  // newServiceAccountProvider: only with the gate on and a non-empty audience.
  if (!rules.saTokenForCredentialProviders || t === undefined || t.serviceAccountTokenAudience === '') {
    return { invoke: true, audience: undefined, annotations: {}, serviceAccountMode: false };
  }
  if (pod.serviceAccountName === '') {
    if (t.requireServiceAccount === true) {
      return { invoke: false, reason: 'service-account-required', kubeletLog: `Service account name is empty for pod ${pod.namespace}/${pod.podName}` };
    }
    // requireServiceAccount: false → invoke without token or annotations (e.g. static pods).
    return { invoke: true, audience: undefined, annotations: {}, serviceAccountMode: true };
  }
  // getServiceAccountData: every required key must be present, optional keys copied if present.
  const annotations: Record<string, string> = {};
  for (const key of t.requiredServiceAccountAnnotationKeys) {
    const value = pod.serviceAccountAnnotations[key];
    if (value === undefined) {
      return {
        invoke: false,
        reason: 'required-annotation-missing',
        kubeletLog: `Failed to get service account data ${pod.namespace}/${pod.serviceAccountName}: required annotation ${key} not found`,
      };
    }
    annotations[key] = value;
  }
  for (const key of t.optionalServiceAccountAnnotationKeys) {
    const value = pod.serviceAccountAnnotations[key];
    if (value !== undefined) annotations[key] = value;
  }
  return { invoke: true, audience: t.serviceAccountTokenAudience, annotations, serviceAccountMode: true };
}

export interface CacheDecision {
  /** false: kubelet uses the credentials for this pull but does not cache them. */
  readonly cached: boolean;
  /** A negative cacheDuration: stored with expiresAt in the past, so never served from the cache. */
  readonly expiredOnArrival: boolean;
  /** Nanoseconds until expiry when cached. */
  readonly durationNs: number | undefined;
  readonly durationText: string | undefined;
  readonly cacheKeyType: string;
  readonly baseKey: string;
  /** Hex of the full binary key kubelet stores under (generateCacheKey). */
  readonly keyHex: string;
  /** The fields the key is built from, token shown only as its sha256. */
  readonly keyParts: readonly string[];
}

export type ResponseVerdict =
  | { readonly accepted: true; readonly auth: readonly (readonly [string, AuthEntry])[]; readonly cache: CacheDecision }
  | { readonly accepted: false; readonly kubeletLog: string; readonly reason: 'token-echoed' | 'invalid-cache-key-type' };

export interface ResponseContext {
  readonly image: string;
  readonly provider: CredentialProvider;
  readonly pod: PodIdentity;
  readonly plan: Extract<InvocationPlan, { invoke: true }>;
  /** The token that was sent ('' if none). */
  readonly serviceAccountToken: string;
  readonly rules: KubeletRules;
}

/**
 * The service-account part of the cache key (generateServiceAccountCacheKey) and its readable
 * parts; undefined outside service-account mode or for a pod without a service account.
 */
export function serviceAccountKeyFor(ctx: Omit<ResponseContext, 'image'>): { saKey: Buffer | undefined; keyParts: string[] } {
  const cacheType = ctx.rules.cacheTypeField ? (ctx.provider.tokenAttributes?.cacheType ?? '') : '';
  const saMode = ctx.plan.serviceAccountMode && ctx.pod.serviceAccountName !== '';
  if (!saMode) return { saKey: undefined, keyParts: [] };
  const saKey = serviceAccountCacheKey({
    namespace: ctx.pod.namespace,
    serviceAccountName: ctx.pod.serviceAccountName,
    serviceAccountUid: ctx.pod.serviceAccountUid,
    annotations: ctx.plan.annotations,
    cacheType,
    serviceAccountToken: ctx.serviceAccountToken,
  });
  const keyParts = [`namespace=${ctx.pod.namespace}`, `serviceAccount=${ctx.pod.serviceAccountName}`, `serviceAccountUID=${ctx.pod.serviceAccountUid}`];
  keyParts.push(`annotations=${JSON.stringify(Object.fromEntries(Object.entries(ctx.plan.annotations).sort(([a], [b]) => (a < b ? -1 : 1))))}`);
  if (cacheType === 'Token') keyParts.push(`token=${tokenHash(ctx.serviceAccountToken)}`);
  return { saKey, keyParts };
}

export function evaluateResponse(response: CredentialProviderResponse, ctx: ResponseContext): ResponseVerdict {
  const cacheType = ctx.rules.cacheTypeField ? (ctx.provider.tokenAttributes?.cacheType ?? '') : '';
  // v1.34+: "Only Token cache type is valid when the service account token is returned as the
  // registry credentials" — an echoed token with any other cacheType drops all credentials.
  if (ctx.rules.rejectEchoedToken && ctx.serviceAccountToken !== '' && cacheType !== 'Token') {
    if (response.auth.some(([, entry]) => entry.password === ctx.serviceAccountToken)) {
      return {
        accepted: false,
        reason: 'token-echoed',
        kubeletLog: `Credential provider plugin returned the service account token as the password for image ${goQuote(ctx.image)}, which is not allowed when service account cache type is not set to 'Token'`,
      };
    }
  }
  const base = baseCacheKey(response.cacheKeyType, ctx.image, ctx.rules.globalCacheKey);
  // "If an invalid value is specified, the response will NOT be used by the kubelet."
  if (base === undefined) {
    return { accepted: false, reason: 'invalid-cache-key-type', kubeletLog: `credential provider plugin did not return a valid cacheKeyType: ${goQuote(response.cacheKeyType)}` };
  }
  const { saKey, keyParts: saParts } = serviceAccountKeyFor(ctx);
  const keyParts = [`base=${goQuote(base)}`, ...saParts];
  // cacheDuration 0 → not cached; unset → defaultCacheDuration (0 → not cached).
  const duration = response.cacheDuration ?? ctx.provider.defaultCacheDuration ?? 0;
  const cached = duration !== 0;
  return {
    accepted: true,
    auth: response.auth,
    cache: {
      cached,
      // expiresAt = now + duration: a negative cacheDuration is stored already expired.
      expiredOnArrival: duration < 0,
      durationNs: cached ? duration : undefined,
      durationText: cached ? formatGoDuration(duration) : undefined,
      cacheKeyType: response.cacheKeyType,
      baseKey: base,
      keyHex: cacheKey(base, saKey).toString('hex'),
      keyParts,
    },
  };
}
