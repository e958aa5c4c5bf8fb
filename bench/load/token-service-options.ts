import type { TokenServiceOptions } from '../../registry/index.ts';
import type { ServeConfig } from './serve.ts';

/** How every token-service bench starts the service: the bench issuer trusted, `bench/*` granted to namespace `bench`. */
export function benchTokenServiceOptions(config: ServeConfig): TokenServiceOptions {
  return {
    service: config.service,
    policy: { subjects: [{ match: { namespace: 'bench', serviceAccount: '*' }, grants: [{ repositories: ['bench/*'], actions: ['pull'] }] }], roles: [] },
    serviceAccountIssuers: [{ issuer: config.issuer, jwks: config.jwks }],
    ...(config.auditFile ? { auditFile: config.auditFile } : {}),
  };
}
