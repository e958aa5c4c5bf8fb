import { stringify } from 'yaml';

/**
 * distribution configuration (works for 2.8.x and 3.x; reference/registry-token-auth.md §2.1).
 * `auth.token` needs realm/service/issuer and, on 2.8, a rootcertbundle (required there; v3 would
 * also take a jwks file, but the cert bundle + x5c path works in both).
 */
export interface RegistryTokenAuth {
  /** URL containerd will call: must resolve from wherever the client runs (§4.3). */
  readonly realm: string;
  /** Must equal the `aud` of tokens. */
  readonly service: string;
  /** Must equal the `iss` of tokens. */
  readonly issuer: string;
  /** Path of the PEM bundle inside the container. */
  readonly rootCertBundlePath: string;
}

export const CONFIG_PATH = '/etc/distribution/config.yml';
export const ROOT_CERT_PATH = '/etc/distribution/token-root.pem';
export const STORAGE_PATH = '/var/lib/registry';
export const REGISTRY_PORT = 5000;

export function distributionConfig(auth: RegistryTokenAuth | undefined): string {
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: STORAGE_PATH }, delete: { enabled: true } },
    http: { addr: `:${REGISTRY_PORT}` },
  };
  if (auth) {
    config.auth = {
      token: {
        realm: auth.realm,
        service: auth.service,
        issuer: auth.issuer,
        rootcertbundle: auth.rootCertBundlePath,
        // v3 accepts every algorithm by default (incl. HS*); restrict it to what we sign with.
        // 2.8 reads auth parameters as a free map and ignores this key (§2.1 table).
        signingalgorithms: ['ES256', 'RS256'],
      },
    };
  }
  return stringify(config);
}
