/** The kubelet-exact conformance runner: library API (the CLI is harness/cli/commands/conformance.ts). */
export { runConformance, loadKubeletCredentialProviderConfig, KubeletConfigRejectedError } from './runner.ts';
export type { ConformanceOptions, ConformanceResult, ProviderTrace, KeyringEntry, TokenSource } from './runner.ts';
export { formatTrace } from './trace.ts';
export { kubeletRules, parseFeatureGates } from './kubelet-rules.ts';
export type { KubeletRules, FeatureGateOverrides } from './kubelet-rules.ts';
export { readCredentialProviderConfig, decodeCredentialProviderConfig, CredentialProviderConfigError } from './config.ts';
export type { CredentialProviderConfig, CredentialProvider, ServiceAccountTokenAttributes, ExecEnvVar } from './config.ts';
export { validateCredentialProviderConfig, validationFailureMessage, aggregateMessage, PLUGIN_API_VERSIONS } from './validate.ts';
export type { FieldError, ValidationRules } from './validate.ts';
export { urlsMatchStr, isImageAllowed, parseSchemelessURL, BasicDockerKeyring, isDefaultRegistryMatch } from './match-images.ts';
export { planInvocation, evaluateResponse } from './provide.ts';
export type { PodIdentity, InvocationPlan, ResponseVerdict, CacheDecision } from './provide.ts';
export { encodeRequest, decodeResponse, ResponseRejectedError } from './protocol.ts';
export { cacheKey, serviceAccountCacheKey, tokenHash, parseRegistry } from './cache-key.ts';
export { execPlugin, lookPath, checkBinDir, PluginRegistrationError, KUBELET_EXEC_TIMEOUT_MS } from './exec-plugin.ts';
export { pullWithContainerd, cleanupNamespace, ContainerdPullError, DEFAULT_CONTAINERD_ADDRESS, defaultContainerdAddress } from './containerd-pull.ts';
export type { PullOptions, PullResult, PullCredential, PullAttempt } from './containerd-pull.ts';
