import { PluginError } from './errors.ts';
import type { PluginOptions } from './options.ts';
import { API_VERSION, registryOf, type CredentialProviderRequest, type CredentialProviderResponse } from './request.ts';
import { cacheSeconds, tokenExpiry } from './token.ts';

/**
 * Pass-through: the service-account token itself is the registry password (the token service
 * accepts SA JWTs as Basic passwords). kubelet v1.34+ drops such a response unless
 * tokenAttributes.cacheType is Token (k/k plugin.go: "Credential provider plugin returned the
 * service account token as the password…"), so we refuse early when told the cacheType is not Token.
 */
export function passthrough(request: CredentialProviderRequest, options: PluginOptions, nowSeconds: number): CredentialProviderResponse {
  if (options.cacheType === 'ServiceAccount') {
    throw new PluginError(
      'usage',
      'passthrough mode returns the service-account token as the password, which kubelet v1.34+ accepts only with tokenAttributes.cacheType: Token (configured: ServiceAccount); set cacheType: Token and --cache-type Token, or use --mode exchange',
    );
  }
  const token = request.serviceAccountToken;
  if (!token) {
    throw new PluginError('token', `passthrough mode needs a service-account token but the request for image ${request.image} has none: give the provider tokenAttributes (serviceAccountTokenAudience, requireServiceAccount: true) in the kubelet config`);
  }
  const exp = tokenExpiry(token);
  if (exp <= nowSeconds) throw new PluginError('token', `service-account token expired ${nowSeconds - exp}s ago (exp ${exp}); kubelet should request a fresh one — check the node clock`);
  // cacheDuration never outlives the token's exp (minus the safety margin).
  const seconds = cacheSeconds(exp, nowSeconds, options.safetyMarginSeconds);
  return {
    apiVersion: API_VERSION,
    kind: 'CredentialProviderResponse',
    cacheKeyType: options.cacheKeyType,
    cacheDuration: `${seconds}s`,
    auth: { [options.authKey ?? registryOf(request.image)]: { username: options.username, password: token } },
  };
}
