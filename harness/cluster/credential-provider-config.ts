import { stringify } from 'yaml';
import { ClusterConfigError } from './errors.ts';
import type { KubernetesVersion } from './versions.ts';

/**
 * CredentialProviderConfig (kubelet.config.k8s.io/v1) per Kubernetes minor. The shapes differ only
 * in `tokenAttributes.cacheType`: absent from the 1.33 API, required from 1.34 (kubelet@v0.33.0 vs
 * v0.34.0 config/v1/types.go). Full validation is kubelet's; the conformance validator checks every
 * generated file (test/unit/cluster).
 */

export type ServiceAccountTokenCacheType = 'Token' | 'ServiceAccount';

export interface TokenAttributesSpec {
  readonly serviceAccountTokenAudience: string;
  /** Required from 1.34; dropped for 1.33, whose API has no such field (strict decoding rejects unknown fields). */
  readonly cacheType?: ServiceAccountTokenCacheType;
  readonly requireServiceAccount: boolean;
  readonly requiredServiceAccountAnnotationKeys?: readonly string[];
  readonly optionalServiceAccountAnnotationKeys?: readonly string[];
}

export interface CredentialProviderSpec {
  /** Must equal the executable's name in the bin dir. */
  readonly name: string;
  readonly matchImages: readonly string[];
  /** e.g. "0s", "10m". */
  readonly defaultCacheDuration: string;
  /** Plugin protocol version; tokenAttributes requires credentialprovider.kubelet.k8s.io/v1. */
  readonly apiVersion?: string;
  readonly args?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value: string }[];
  readonly tokenAttributes?: TokenAttributesSpec;
}

export interface CredentialProviderConfig {
  readonly apiVersion: 'kubelet.config.k8s.io/v1';
  readonly kind: 'CredentialProviderConfig';
  readonly providers: readonly Record<string, unknown>[];
}

function tokenAttributes(version: KubernetesVersion, provider: string, t: TokenAttributesSpec): Record<string, unknown> {
  if (version.cacheTypeRequired && t.cacheType === undefined) {
    // kubelet ≥1.34: "providers.tokenAttributes.cacheType: Required value: cacheType is required to be set
    // when tokenAttributes is specified. Supported values are: ServiceAccount, Token"
    throw new ClusterConfigError(`providers[${provider}].tokenAttributes.cacheType`, undefined,
      `Kubernetes ${version.minor} requires it: set "Token" (pass-through plugins returning the SA token) or "ServiceAccount"`);
  }
  return {
    serviceAccountTokenAudience: t.serviceAccountTokenAudience,
    ...(version.cacheTypeRequired ? { cacheType: t.cacheType } : {}),
    requireServiceAccount: t.requireServiceAccount,
    ...(t.requiredServiceAccountAnnotationKeys ? { requiredServiceAccountAnnotationKeys: [...t.requiredServiceAccountAnnotationKeys] } : {}),
    ...(t.optionalServiceAccountAnnotationKeys ? { optionalServiceAccountAnnotationKeys: [...t.optionalServiceAccountAnnotationKeys] } : {}),
  };
}

export function credentialProviderConfig(version: KubernetesVersion, providers: readonly CredentialProviderSpec[]): CredentialProviderConfig {
  if (providers.length === 0) {
    // kubelet: "providers: Required value: at least 1 item in plugins is required"
    throw new ClusterConfigError('providers', [], 'at least one provider is required (kubelet refuses an empty list)');
  }
  return {
    apiVersion: 'kubelet.config.k8s.io/v1',
    kind: 'CredentialProviderConfig',
    providers: providers.map((p) => ({
      name: p.name,
      matchImages: [...p.matchImages],
      defaultCacheDuration: p.defaultCacheDuration,
      apiVersion: p.apiVersion ?? 'credentialprovider.kubelet.k8s.io/v1',
      ...(p.args ? { args: [...p.args] } : {}),
      ...(p.env ? { env: p.env.map((e) => ({ name: e.name, value: e.value })) } : {}),
      ...(p.tokenAttributes ? { tokenAttributes: tokenAttributes(version, p.name, p.tokenAttributes) } : {}),
    })),
  };
}

export function renderCredentialProviderConfig(config: CredentialProviderConfig): string {
  return stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
