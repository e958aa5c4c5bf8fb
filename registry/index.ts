/**
 * Public surface of registry/: what the harness (and tests, benches) use. Nothing here imports
 * from harness/ (DESIGN.md layout rule).
 */
import type { RegistryAuthSettings } from './container/registry-container.ts';
import type { TokenService } from './token-service/server.ts';

export { startTokenService, parseBasicAuthorization, LIMITS, TokenServiceStartError, TokenServiceConfigError } from './token-service/server.ts';
export type { TokenService, TokenServiceOptions, AdminIdentity, StaticUser, AuditLimits } from './token-service/server.ts';
export { ServiceAccountVerifier, ServiceAccountTokenError, IssuerDiscoveryError, ALLOWED_ALGORITHMS } from './token-service/service-account.ts';
export type { IssuerTrust, ServiceAccountIdentity, RejectionReason } from './token-service/service-account.ts';
export { AuditLog, REDACTED } from './token-service/audit.ts';
export type { AuditEntry, AuditDrops, AuditLogOptions } from './token-service/audit.ts';
export { AuditFile } from './token-service/audit-file.ts';
export type { AuditFileOptions } from './token-service/audit-file.ts';
export { parseScope, parseScopes, formatScope, ScopeError } from './token-service/scope.ts';
export type { ResourceScope } from './token-service/scope.ts';
export { createTokenSigner, libtrustKeyId, SigningSetupError } from './token-service/signing.ts';
export type { TokenSigner, SigningAlgorithm } from './token-service/signing.ts';

export { ACTIONS, evaluate, mayAssume } from './policy/policy.ts';
export type { Action, Grant, Policy, Principal, Role, ScopeDecision, SubjectMatch, SubjectRule, TrustDecision } from './policy/policy.ts';
export { parsePolicy, parsePolicyYaml, loadPolicyFile, PolicyError } from './policy/load.ts';

export { startRegistry, RegistryStartError } from './container/registry-container.ts';
export type { RegistryAuthSettings, StartRegistryOptions, StartedRegistry } from './container/registry-container.ts';
export { resolveRegistryImage, REGISTRY_3_IMAGE, RegistryImageError } from './container/registry-image.ts';
export type { RegistryImage, RegistryImageSource } from './container/registry-image.ts';
export { distributionConfig } from './container/registry-config.ts';

export { buildLayer, sha256 } from './images/layer.ts';
export type { Layer, LayerEntry } from './images/layer.ts';
export { buildImage, MEDIA_TYPES } from './images/oci.ts';
export type { OciImage, ImageConfigOptions } from './images/oci.ts';
export { busyboxImage, uniqueTag, DEFAULT_COMMAND } from './images/busybox.ts';
export { pushImage, fetchRegistryToken, authorizationFor, parseBearerChallenge, RegistryRequestError } from './images/push.ts';
export type { PushOptions, PushedImage, RegistryCredentials, BearerChallenge } from './images/push.ts';

/** The `auth.token` settings a registry needs to trust `service`'s tokens. */
export function registryAuthFor(service: TokenService): RegistryAuthSettings {
  return { realm: service.realm, service: service.service, issuer: service.issuer, rootCertificatePem: service.rootCertificatePem };
}
