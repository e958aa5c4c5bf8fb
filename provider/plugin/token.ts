import { PluginError } from './errors.ts';

/**
 * Reads `exp` from the service-account JWT without verifying it: the registry's token service
 * verifies; the plugin only needs the lifetime so a cached credential never outlives the token.
 */
export function tokenExpiry(token: string): number {
  const parts = token.split('.');
  if (parts.length !== 3) throw new PluginError('token', `serviceAccountToken is not a JWT (${parts.length} dot-separated parts, expected 3)`);
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new PluginError('token', 'serviceAccountToken payload is not base64url JSON');
  }
  const exp = (claims as { exp?: unknown } | null)?.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new PluginError('token', 'serviceAccountToken has no numeric exp claim');
  return exp;
}

/** Seconds a credential may be cached: lifetime minus the margin, never negative, whole seconds. */
export function cacheSeconds(expiresAtEpochSeconds: number, nowEpochSeconds: number, marginSeconds: number): number {
  return Math.max(0, Math.floor(expiresAtEpochSeconds - nowEpochSeconds - marginSeconds));
}
