import { randomUUID } from 'node:crypto';
import { LocalServiceAccountIssuer, type MintOptions } from '../identity/local-issuer.ts';
import { readCredentialProviderConfig, type CredentialProvider, type CredentialProviderConfig } from './config.ts';
import { pullWithContainerd, redact, type PullCredential, type PullOptions, type PullResult } from './containerd-pull.ts';
import { checkBinDir, execFailureMessage, execPlugin, lookPath, type PluginExecution } from './exec-plugin.ts';
import { kubeletRules, type FeatureGateOverrides, type KubeletRules } from './kubelet-rules.ts';
import { BasicDockerKeyring } from './match-images.ts';
import { evaluateResponse, planInvocation, serviceAccountKeyFor, type InvocationPlan, type PodIdentity, type ResponseVerdict } from './provide.ts';
import { decodeResponse, encodeRequest, ResponseRejectedError, type AuthEntry } from './protocol.ts';
import { tokenHash } from './cache-key.ts';
import { KubeletCredentialCache, type CacheEntryOrigin, type CacheLookup, type ProviderCredentialCache } from './credential-cache.ts';
import { imageRepository } from './image-name.ts';
import { CredentialProviderConfigError } from './config.ts';
import { formatGoDuration } from './go/duration.ts';
import { validateCredentialProviderConfig, validationFailureMessage, type FieldError } from './validate.ts';
import { nodeKeyring, pullSecretKeyring, readNodeDockerConfig, type NodeDockerConfig, type PullSecretInput } from './docker-keyring.ts';

/**
 * The kubelet-exact runner: what kubelet would do for one image pull of one pod, from config file
 * to containerd. Pure decisions live in config/validate/match-images/provide/protocol/cache-key;
 * this module wires them to the two edges (exec, ctr) and returns a typed result.
 */

/** Anything that mints kube-apiserver-shaped tokens (LocalServiceAccountIssuer satisfies it). */
export interface TokenSource {
  mint(options: MintOptions): Promise<string>;
}

/**
 * Thrown by a TokenSource whose TokenRequest failed (e.g. a 403 from NodeRestriction). plugin.go
 * provide(): `klog.Errorf("Error getting service account token %s/%s: %v", …)` and that provider
 * contributes nothing; the other providers still run. Any other error from `mint` aborts the run.
 */
export class TokenRequestError extends Error {
  /** kubelet's log line, without the klog header. */
  readonly kubeletLog: string;
  constructor(namespace: string, serviceAccount: string, detail: string) {
    super(`Error getting service account token ${namespace}/${serviceAccount}: ${detail}`);
    this.name = 'TokenRequestError';
    this.kubeletLog = this.message;
  }
}

export interface ConformanceOptions {
  /** CredentialProviderConfig file or directory (--image-credential-provider-config). */
  readonly config: string;
  /** --image-credential-provider-bin-dir. */
  readonly binDir: string;
  /**
   * The pod's image as written (`nginx:1.25`, `r.io/team/app:v1@sha256:…`) or an already
   * normalised repository. kubelet resolves credentials for `ParseImageName(image)`'s repository
   * (k/k pkg/kubelet/images/image_manager.go → pkg/util/parsers/parsers.go): tag and digest
   * stripped, Docker Hub names expanded. That repository is what matchImages, the plugin request,
   * the cache keys and the keyring see; the containerd pull uses the full reference.
   */
  readonly image: string;
  /** Kubernetes minor whose kubelet rules apply, e.g. "1.34". */
  readonly kubernetes: string;
  readonly featureGates?: FeatureGateOverrides;
  readonly pod: {
    readonly namespace: string;
    readonly podName?: string;
    readonly podUid?: string;
    /** Omit or '' for a pod without a service account. */
    readonly serviceAccountName?: string;
    readonly serviceAccountUid?: string;
    readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
    /**
     * The error text of a failed ServiceAccount GET (a stand-in kubelet reads the SA from the API).
     * plugin.go provide(): providers in service-account mode log
     * `Failed to get service account %s/%s: %v` and are not run; other providers are unaffected.
     */
    readonly serviceAccountLookupError?: string;
  };
  readonly node?: { readonly name: string; readonly uid: string };
  /** Default: a fresh LocalServiceAccountIssuer with issuer `https://kubernetes.default.svc.cluster.local`. */
  readonly tokenSource?: TokenSource;
  /** TokenRequest expirationSeconds; kubelet leaves it unset, i.e. the API default of 3600. */
  readonly tokenExpirationSeconds?: number;
  /** The kubelet host environment the plugin inherits (default process.env). */
  readonly hostEnv?: NodeJS.ProcessEnv;
  /** Exec timeout; kubelet's is a fixed 1 minute. */
  readonly timeoutMs?: number;
  /** Pull through containerd with the resulting credentials. */
  readonly pull?: PullOptions | false;
  /**
   * kubelet's per-provider credential caches, to carry across calls (a sequence of pulls on one
   * kubelet). Default: a fresh, empty cache, so every provider is executed.
   */
  readonly cache?: KubeletCredentialCache;
  /** Virtual clock for the cache, in ms (default 0). */
  readonly nowMs?: number;
  /** This pull's index in a sequence (recorded as the origin of entries it stores). */
  readonly pullIndex?: number;
  /**
   * The pod's imagePullSecrets, data decoded. kubelet tries their credentials first, before the
   * node's config.json and the providers (docker-keyring.ts has the order and its sources).
   * Omitted: no pull secrets (callers that add pull secrets themselves keep doing so).
   */
  readonly pullSecrets?: readonly PullSecretInput[];
  /**
   * The node's Docker config.json kubelet finds first (kubelet searches its root dir, the working
   * dir, $HOME/.docker, /.docker). Its credentials come after the pull secrets, before the
   * providers. Omitted: no node credentials.
   */
  readonly nodeDockerConfig?: string;
}

/** What kubelet's cache did for one provider on this pull. */
export interface ProviderCacheTrace {
  /** hit: served from the cache, plugin not executed; miss: executed. */
  readonly decision: 'hit' | 'miss';
  readonly tried: CacheLookup['tried'];
  readonly purged: number;
  /** On a hit: the entry and the pull it was made for. */
  readonly servedFrom?: { readonly baseKey: string; readonly cacheKeyType: string; readonly expiresInMs: number; readonly origin: CacheEntryOrigin };
  /** On a miss whose response was cached. */
  readonly stored?: { readonly baseKey: string; readonly cacheKeyType: string; readonly expiresAtMs: number; readonly expiredOnArrival: boolean };
}

export interface RedactedExecution extends Omit<PluginExecution, 'stdout' | 'stderr'> {
  readonly stdout: string;
  readonly stderr: string;
}

export interface ProviderTrace {
  readonly name: string;
  readonly apiVersion: string;
  readonly plan: InvocationPlan;
  /** The request kubelet wrote to stdin, token replaced by `<redacted sha256:…>`. */
  readonly request?: string;
  /** Claims of the minted token (not secret), when one was sent. */
  readonly tokenClaims?: Readonly<Record<string, unknown>>;
  readonly execution?: RedactedExecution;
  /** kubelet's log line when exec or decoding failed (credentials dropped). */
  readonly failure?: { readonly kubeletLog: string; readonly detail: string };
  /** The response with passwords redacted. */
  readonly response?: { readonly cacheKeyType: string; readonly cacheDuration: string | undefined; readonly auth: readonly { readonly key: string; readonly username: string; readonly password: string }[] };
  readonly verdict?: ResponseVerdict extends infer V ? (V extends { accepted: true } ? Omit<V, 'auth'> : V) : never;
  /** Auth entries this provider contributed to the keyring. */
  readonly contributed: number;
  /** kubelet's cache lookup (only when the plugin would be invoked and nothing failed before it). */
  readonly cache?: ProviderCacheTrace;
}

export interface KeyringEntry {
  readonly provider: string;
  readonly key: string;
  readonly username: string;
}

/** One credential kubelet tries, from any of its three keyrings (no password). */
export interface CredentialEntry {
  readonly source: 'pull-secret' | 'node-config' | 'provider';
  /** The secret (`namespace/name`), the config.json path, or the provider name. */
  readonly from: string;
  readonly key: string;
  readonly username: string;
}

export interface ConformanceResult {
  readonly kubernetes: KubeletRules;
  readonly configHash: string;
  readonly configSources: CredentialProviderConfig['sources'];
  readonly image: string;
  /** The repository kubelet looks credentials up for (ParseNormalizedNamed(image).Name()). */
  readonly repository: string;
  readonly pod: PodIdentity;
  readonly providers: readonly ProviderTrace[];
  /** The providers' keyring (externalCredentialProviderKeyring.Lookup): their credentials, in order. */
  readonly keyring: readonly KeyringEntry[];
  /**
   * Every credential kubelet tries, in its order: pull secrets, node config.json, providers
   * (equal to `keyring` when neither pullSecrets nor nodeDockerConfig is given).
   */
  readonly credentials: readonly CredentialEntry[];
  /** The node config.json, when `nodeDockerConfig` was given: read, missing or ignored. */
  readonly nodeConfig?: Omit<NodeDockerConfig, 'entries'> & { readonly entries: number };
  readonly decision: 'pull-with-credentials' | 'pull-anonymously';
  readonly pull?: PullResult;
  /** The credentials themselves (non-enumerable: never serialised or printed). */
  readonly secretCredentials: readonly PullCredential[];
}

/** kubelet refuses to start: config unreadable or invalid (kubelet's exact text in kubeletMessage). */
export class KubeletConfigRejectedError extends CredentialProviderConfigError {
  readonly errors: readonly FieldError[];
  constructor(path: string, errors: readonly FieldError[]) {
    super(path, validationFailureMessage(errors), 'fix the fields named above');
    this.name = 'KubeletConfigRejectedError';
    this.errors = errors;
  }
}

/** Reads and validates a config as the given kubelet would at startup; throws kubelet's error. */
export async function loadKubeletCredentialProviderConfig(path: string, rules: KubeletRules): Promise<CredentialProviderConfig> {
  const config = await readCredentialProviderConfig(path, { cacheTypeField: rules.cacheTypeField, configDirectory: rules.configDirectory });
  const errors = validateCredentialProviderConfig(config, rules);
  if (errors.length > 0) throw new KubeletConfigRejectedError(path, errors);
  return config;
}

function resolvePod(options: ConformanceOptions['pod']): PodIdentity {
  return {
    namespace: options.namespace,
    podName: options.podName ?? 'pullproof-conformance',
    podUid: options.podUid ?? randomUUID(),
    serviceAccountName: options.serviceAccountName ?? '',
    serviceAccountUid: options.serviceAccountUid ?? randomUUID(),
    serviceAccountAnnotations: options.serviceAccountAnnotations ?? {},
  };
}

function decodeClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

interface PullContext {
  readonly options: ConformanceOptions;
  /** The normalised repository every credential decision uses. */
  readonly repository: string;
  readonly pod: PodIdentity;
  readonly rules: KubeletRules;
  readonly tokens: () => TokenSource;
  readonly cache: KubeletCredentialCache;
  readonly nowMs: number;
}

async function provideOne(provider: CredentialProvider, ctx: PullContext): Promise<{ trace: ProviderTrace; auth: readonly (readonly [string, AuthEntry])[] }> {
  const { options, repository: image, pod, rules } = ctx;
  const plan = planInvocation(provider, image, pod, rules);
  const base = { name: provider.name, apiVersion: provider.apiVersion, plan, contributed: 0 };
  // provide(): getServiceAccountData runs (and can fail) before the required-annotation check.
  const lookupError = options.pod.serviceAccountLookupError;
  const saLookedUp = (plan.invoke && plan.audience !== undefined) || (!plan.invoke && plan.reason === 'required-annotation-missing');
  if (lookupError !== undefined && saLookedUp) {
    const kubeletLog = `Failed to get service account ${pod.namespace}/${pod.serviceAccountName}: ${lookupError}`;
    return { trace: { ...base, failure: { kubeletLog, detail: 'the ServiceAccount could not be read; kubelet does not run this plugin' } }, auth: [] };
  }
  if (!plan.invoke) return { trace: base, auth: [] };
  let token = '';
  if (plan.audience !== undefined) {
    // getServiceAccountToken: TokenRequest{audiences: [audience], boundObjectRef: Pod, expirationSeconds unset}.
    // kubelet requests the token *before* looking at its cache (the Token cache key needs its hash).
    const minted: string | TokenRequestError = await ctx.tokens().mint({
      namespace: pod.namespace,
      serviceAccountName: pod.serviceAccountName,
      serviceAccountUid: pod.serviceAccountUid,
      audience: [plan.audience],
      pod: { name: pod.podName, uid: pod.podUid },
      ...(options.node ? { node: options.node } : {}),
      expiresInSeconds: options.tokenExpirationSeconds ?? 3600,
    }).catch((error: unknown) => {
      if (error instanceof TokenRequestError) return error;
      throw error;
    });
    if (typeof minted !== 'string') {
      return { trace: { ...base, failure: { kubeletLog: minted.kubeletLog, detail: 'the TokenRequest failed; kubelet does not run this plugin' } }, auth: [] };
    }
    token = minted;
  }
  const providerCache: ProviderCredentialCache = ctx.cache.forProvider(provider.name);
  const { saKey } = serviceAccountKeyFor({ provider, pod, plan, serviceAccountToken: token, rules });
  const lookup = providerCache.lookup(image, saKey, rules.globalCacheKey, ctx.nowMs);
  if (lookup.entry !== undefined) {
    const e = lookup.entry;
    const cache: ProviderCacheTrace = {
      decision: 'hit',
      tried: lookup.tried,
      purged: lookup.purged,
      servedFrom: { baseKey: e.baseKey, cacheKeyType: e.cacheKeyType, expiresInMs: e.expiresAt - ctx.nowMs, origin: e.origin },
    };
    return { trace: { ...base, cache, contributed: e.auth.length }, auth: e.auth };
  }
  const missed = { decision: 'miss' as const, tried: lookup.tried, purged: lookup.purged };
  const stdin = encodeRequest(provider.apiVersion, image, token, plan.annotations);
  const secrets = token ? [token] : [];
  const request = token ? stdin.replace(token, `<redacted ${tokenHash(token).slice(0, 19)}…>`) : stdin;
  const tokenClaims = token ? decodeClaims(token) : undefined;
  const exec = await execPlugin({ binDir: options.binDir, provider, stdin, hostEnv: options.hostEnv, timeoutMs: options.timeoutMs });
  // Passwords the plugin printed are only known after decoding; redact stdout by structure below.
  const redactedExec = (passwords: readonly string[]): RedactedExecution => ({
    ...exec,
    stdout: redact(exec.stdout, [...secrets, ...passwords]),
    stderr: redact(exec.stderr, [...secrets, ...passwords]),
  });
  const withRequest = { ...base, request, cache: missed, ...(tokenClaims ? { tokenClaims } : {}) };
  if (exec.runError !== undefined) {
    const kubeletLog = `Failed getting credential from external registry credential provider: ${execFailureMessage(provider.name, image, exec)}`;
    return {
      // A failed plugin's stdout is not shown: kubelet ignores it, and it may hold credentials.
      trace: { ...withRequest, execution: { ...redactedExec([]), stdout: exec.stdout ? '<not shown: the plugin failed; kubelet ignores stdout>' : '' }, failure: { kubeletLog: redact(kubeletLog, secrets), detail: exec.timedOut ? `killed after ${options.timeoutMs ?? 60_000} ms` : 'the plugin failed; see its stderr' } },
      auth: [],
    };
  }
  let response;
  try {
    response = decodeResponse(exec.stdout, provider.apiVersion);
  } catch (error) {
    if (!(error instanceof ResponseRejectedError)) throw error;
    const stdoutHidden = { ...redactedExec([]), stdout: '<not shown: kubelet could not decode it and it may hold credentials>' };
    return {
      trace: { ...withRequest, execution: stdoutHidden, failure: { kubeletLog: `Failed getting credential from external registry credential provider: ${error.kubeletMessage}`, detail: error.detail } },
      auth: [],
    };
  }
  const passwords = response.auth.map(([, a]) => a.password);
  const redactedResponse = {
    cacheKeyType: response.cacheKeyType,
    cacheDuration: response.cacheDuration === undefined ? undefined : formatGoDuration(response.cacheDuration),
    auth: response.auth.map(([key, a]) => ({
      key,
      username: a.username,
      password: token && a.password === token ? '<redacted: the service-account token itself>' : a.password ? '<redacted>' : '',
    })),
  };
  const verdict = evaluateResponse(response, { image, provider, pod, plan, serviceAccountToken: token, rules });
  const execution = { ...redactedExec(passwords), stdout: '<not shown: holds credentials; see response>' };
  if (!verdict.accepted) return { trace: { ...withRequest, execution, response: redactedResponse, verdict }, auth: [] };
  const { auth, ...verdictWithoutAuth } = verdict;
  let cache: ProviderCacheTrace = missed;
  if (verdict.cache.cached) {
    const expiresAt = ctx.nowMs + (verdict.cache.durationNs ?? 0) / 1e6;
    providerCache.add({
      keyHex: verdict.cache.keyHex,
      baseKey: verdict.cache.baseKey,
      cacheKeyType: verdict.cache.cacheKeyType,
      expiresAt,
      auth,
      origin: { pull: options.pullIndex ?? 0, image, namespace: pod.namespace, serviceAccount: plan.audience !== undefined ? pod.serviceAccountName : '', podName: pod.podName },
    });
    cache = { ...missed, stored: { baseKey: verdict.cache.baseKey, cacheKeyType: verdict.cache.cacheKeyType, expiresAtMs: expiresAt, expiredOnArrival: verdict.cache.expiredOnArrival } };
  }
  return { trace: { ...withRequest, cache, execution, response: redactedResponse, verdict: verdictWithoutAuth, contributed: auth.length }, auth };
}

const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export async function runConformance(options: ConformanceOptions): Promise<ConformanceResult> {
  const rules = kubeletRules(options.kubernetes, options.featureGates);
  // RegisterCredentialProviderPlugins order: bin dir, read config, validate, then LookPath per provider.
  await checkBinDir(options.binDir);
  const config = await loadKubeletCredentialProviderConfig(options.config, rules);
  for (const provider of config.providers) await lookPath(options.binDir, provider.name);

  // ParseImageName: an unparsable image never reaches the credential lookup (InvalidImageName).
  const repository = imageRepository(options.image);
  const match = { strictIPLiteral: rules.strictIPLiteral };
  // MakeDockerKeyring decodes the pull secrets before anything is looked up: a bad secret fails the
  // pull before any provider runs (PullSecretError).
  const secretKeyring = pullSecretKeyring(options.pullSecrets ?? [], match);
  const nodeConfig = options.nodeDockerConfig === undefined ? undefined : await readNodeDockerConfig(options.nodeDockerConfig);
  const pod = resolvePod(options.pod);
  let issuer: TokenSource | undefined = options.tokenSource;
  let pending: Promise<TokenSource> | undefined;
  const tokens = (): TokenSource => ({
    mint: async (m) => {
      if (!issuer) {
        pending ??= LocalServiceAccountIssuer.create({ issuer: DEFAULT_ISSUER });
        issuer = await pending;
      }
      return issuer.mint(m);
    },
  });

  // externalCredentialProviderKeyring.Lookup: every provider in config order adds to one keyring.
  const keyring = new BasicDockerKeyring<{ provider: string; auth: AuthEntry }>(match);
  const cache = options.cache ?? new KubeletCredentialCache(options.nowMs ?? 0);
  const traces: ProviderTrace[] = [];
  for (const provider of config.providers) {
    const { trace, auth } = await provideOne(provider, { options, repository, pod, rules, tokens, cache, nowMs: options.nowMs ?? 0 });
    traces.push(trace);
    keyring.add(auth.map(([key, a]) => [key, { provider: provider.name, auth: a }] as const));
  }
  const matches = keyring.lookup(repository);
  // UnionDockerKeyring{pull secrets, UnionDockerKeyring{node keyring, providers}}: appended in that order.
  const secretMatches = secretKeyring?.lookup(repository) ?? [];
  const nodeMatches = nodeConfig ? nodeKeyring(nodeConfig, match).lookup(repository) : [];
  const tried: (CredentialEntry & { password: string })[] = [
    ...secretMatches.map((m) => ({ source: 'pull-secret' as const, from: m.value.secret, key: m.key, username: m.value.username, password: m.value.password })),
    ...nodeMatches.map((m) => ({ source: 'node-config' as const, from: m.value.path, key: m.key, username: m.value.username, password: m.value.password })),
    ...matches.map((m) => ({ source: 'provider' as const, from: m.value.provider, key: m.key, username: m.value.auth.username, password: m.value.auth.password })),
  ];
  const credentials: PullCredential[] = tried.map((c) => ({
    username: c.username,
    password: c.password,
    source: c.source === 'provider' ? `${c.from} ${c.key}` : `${c.source === 'pull-secret' ? 'pull secret' : 'node config'} ${c.from} ${c.key}`,
  }));
  const result = {
    kubernetes: rules,
    configHash: config.hash,
    configSources: config.sources,
    image: options.image,
    repository,
    pod,
    providers: traces,
    keyring: matches.map((m) => ({ provider: m.value.provider, key: m.key, username: m.value.auth.username })),
    credentials: tried.map(({ password: _password, ...entry }) => entry),
    ...(nodeConfig ? { nodeConfig: { ...nodeConfig, entries: nodeConfig.entries.length } } : {}),
    decision: credentials.length > 0 ? ('pull-with-credentials' as const) : ('pull-anonymously' as const),
    ...(options.pull ? { pull: await pullWithContainerd(options.image, credentials, options.pull) } : {}),
  };
  // Non-enumerable: JSON.stringify, console.log and spreading never carry the passwords along.
  return Object.defineProperty(result, 'secretCredentials', { value: credentials, enumerable: false }) as typeof result & Pick<ConformanceResult, 'secretCredentials'>;
}
