import { CoreV1Api, type KubeConfig, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import { runConformance, TokenRequestError, type ConformanceResult, type TokenSource } from '../../harness/conformance/index.ts';
import type { MintOptions } from '../../harness/identity/local-issuer.ts';
import { PullSecretError, pullSecretKeyring, type PullSecretInput } from '../../harness/conformance/docker-keyring.ts';
import type { PullCredential } from '../../harness/conformance/containerd-pull.ts';

/**
 * Where kubelet's pull credentials come from, in its order (k/k pkg/credentialprovider/secrets/secrets.go
 * MakeDockerKeyring → `UnionDockerKeyring{secrets keyring, default keyring}`; keyring.go):
 * 1. the pod's imagePullSecrets of type kubernetes.io/dockerconfigjson (or dockercfg), all in one
 *    keyring, looked up with the normalised repository;
 * 2. the credential providers (externalCredentialProviderKeyring).
 * Both through the kubelet-exact runner (harness/conformance/docker-keyring.ts, runner.ts).
 * kubelet's provider cache is not emulated: every pull runs the plugins.
 */

/** The error text client-go would print: the API Status message, else the HTTP failure. */
export function apiErrorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'body' in error) {
    const body: unknown = error.body;
    const parsed: unknown = typeof body === 'string' ? (() => { try { return JSON.parse(body) as unknown; } catch { return body; } })() : body;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') return (parsed as { message: string }).message;
    if (typeof parsed === 'string' && parsed) return parsed;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The pod's pull secrets as the kubelet-exact runner takes them (harness/conformance/docker-keyring.ts
 * decodes them as secrets.go does): type and data key must agree, data base64-decoded; other types
 * are not pull secrets and are skipped, as kubelet skips them.
 */
export function pullSecretInputs(secrets: readonly V1Secret[]): PullSecretInput[] {
  return secrets.flatMap((secret): PullSecretInput[] => {
    const key = secret.type === 'kubernetes.io/dockerconfigjson' ? '.dockerconfigjson' : secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : undefined;
    if (!key) return [];
    return [{
      name: secret.metadata?.name ?? '',
      namespace: secret.metadata?.namespace ?? '',
      type: secret.type as PullSecretInput['type'],
      data: Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8'),
    }];
  });
}

/**
 * The provider plugins' token: a real TokenRequest to the API server, as kubelet's token manager
 * sends it (§4.1): audiences [audience], boundObjectRef the pod, expirationSeconds unset.
 * A failure becomes kubelet's `failed to fetch token: %v` (pkg/kubelet/token/token_manager.go).
 */
export function tokenRequestSource(kc: KubeConfig, pod: V1Pod): TokenSource {
  const core = kc.makeApiClient(CoreV1Api);
  return {
    mint: async (m: MintOptions): Promise<string> => {
      try {
        const response = await core.createNamespacedServiceAccountToken({
          name: m.serviceAccountName,
          namespace: m.namespace,
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              audiences: typeof m.audience === 'string' ? [m.audience] : [...m.audience],
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
            },
          },
        });
        const token = response.status?.token;
        if (!token) throw new Error('the TokenRequest response carries no status.token');
        return token;
      } catch (error) {
        throw new TokenRequestError(m.namespace, m.serviceAccountName, `failed to fetch token: ${apiErrorMessage(error)}`);
      }
    },
  };
}

export interface CredentialLookupOptions {
  readonly kc: KubeConfig;
  readonly pod: V1Pod;
  /** The normalised repository (ParseNormalizedNamed(image).Name()). */
  readonly repository: string;
  readonly kubernetesMinor: string;
  readonly featureGates: Readonly<Record<string, boolean>>;
  readonly credentialProvider: { readonly configPath: string; readonly binDir: string } | undefined;
  readonly nodeName: string;
  readonly log: (severity: 'I' | 'E', file: string, message: string) => void;
}

export interface CredentialLookup {
  readonly credentials: readonly PullCredential[];
  readonly providers?: ConformanceResult;
  /**
   * A pull secret kubelet cannot decode: MakeDockerKeyring fails, kuberuntime PullImage returns the
   * error and nothing is pulled (k/k pkg/kubelet/kuberuntime/kuberuntime_image.go).
   */
  readonly error?: string;
}

/** The pod's credentials for one image, in kubelet's order, with kubelet's log lines. */
export async function lookupCredentials(o: CredentialLookupOptions): Promise<CredentialLookup> {
  const core = o.kc.makeApiClient(CoreV1Api);
  const namespace = o.pod.metadata?.namespace ?? 'default';
  const secrets: V1Secret[] = [];
  for (const ref of o.pod.spec?.imagePullSecrets ?? []) {
    if (!ref.name) continue;
    try {
      secrets.push(await core.readNamespacedSecret({ name: ref.name, namespace }));
    } catch (error) {
      // kubelet_pods.go getPullSecretsForPod.
      o.log('I', 'kubelet_pods.go', `"Unable to retrieve pull secret, the image pull may not succeed." pod="${namespace}/${o.pod.metadata?.name ?? ''}" secret="${namespace}/${ref.name}" err="${apiErrorMessage(error)}"`);
    }
  }
  const pullSecrets = pullSecretInputs(secrets);
  if (!o.credentialProvider) {
    try {
      const keyring = pullSecretKeyring(pullSecrets);
      return { credentials: (keyring?.lookup(o.repository) ?? []).map((m) => ({ username: m.value.username, password: m.value.password, source: `imagePullSecret ${m.value.secret} ${m.key}` })) };
    } catch (error) {
      if (error instanceof PullSecretError) return { credentials: [], error: error.kubeletMessage };
      throw error;
    }
  }
  const saName = o.pod.spec?.serviceAccountName ?? '';
  let sa: { uid?: string; annotations?: Record<string, string> } = {};
  let lookupError: string | undefined;
  if (saName) {
    try {
      const read = await core.readNamespacedServiceAccount({ name: saName, namespace });
      sa = { ...(read.metadata?.uid ? { uid: read.metadata.uid } : {}), annotations: read.metadata?.annotations ?? {} };
    } catch (error) {
      lookupError = apiErrorMessage(error);
    }
  }
  const gate = o.featureGates.KubeletServiceAccountTokenForCredentialProviders;
  const result = await runConformance({
    config: o.credentialProvider.configPath,
    binDir: o.credentialProvider.binDir,
    image: o.repository,
    kubernetes: o.kubernetesMinor,
    featureGates: gate === undefined ? {} : { KubeletServiceAccountTokenForCredentialProviders: gate },
    pod: {
      namespace,
      podName: o.pod.metadata?.name ?? '',
      podUid: o.pod.metadata?.uid ?? '',
      serviceAccountName: saName,
      ...(sa.uid ? { serviceAccountUid: sa.uid } : {}),
      serviceAccountAnnotations: sa.annotations ?? {},
      ...(lookupError !== undefined ? { serviceAccountLookupError: lookupError } : {}),
    },
    tokenSource: tokenRequestSource(o.kc, o.pod),
    pullSecrets,
    pull: false,
  }).catch((error: unknown) => {
    if (error instanceof PullSecretError) return error;
    throw error;
  });
  if (result instanceof PullSecretError) return { credentials: [], error: result.kubeletMessage };
  // plugin.go's log lines, per provider in config order (V(5) Infof / Errorf).
  for (const t of result.providers) {
    if (!t.plan.invoke && t.plan.reason !== 'image-not-matched' && !t.failure) o.log('I', 'plugin.go', t.plan.kubeletLog);
    if (t.execution) o.log('I', 'plugin.go', `Getting image ${o.repository} credentials from external exec plugin ${t.name}`);
    if (t.failure) o.log('E', 'plugin.go', t.failure.kubeletLog);
    if (t.verdict && !t.verdict.accepted) o.log('E', 'plugin.go', t.verdict.kubeletLog);
  }
  // Pull secrets first, then the providers: runConformance orders them as kubelet's union keyring does.
  return { credentials: result.secretCredentials, providers: result };
}
