import { KubeConfig, KubernetesObjectApi, OpenidApi, PatchStrategy, WellKnownApi, type KubernetesObject } from '@kubernetes/client-node';

/**
 * The two API-server steps of the lifecycle, against kindest/node's API server or the stand-in's
 * (standin/apiserver): read the service-account issuer for the token service's trust, and apply
 * the node-audience RBAC.
 */

export interface IssuerTrust {
  readonly issuer: string;
  /** `/.well-known/openid-configuration` as served. */
  readonly discovery: Readonly<Record<string, unknown>>;
  /** `/openid/v1/jwks` as served. */
  readonly jwks: { readonly keys: readonly Readonly<Record<string, unknown>>[] };
}

function kubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/**
 * client-node types both discovery endpoints as `string`, but its deserializer already parses a
 * response served as application/json (which the API server does) into an object.
 */
function asJson(value: unknown): Record<string, unknown> {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (parsed === null || typeof parsed !== 'object') throw new Error(`the API server answered ${String(value).slice(0, 200)} where a JSON object was expected`);
  return parsed as Record<string, unknown>;
}

export async function fetchIssuerTrust(kubeconfigPath: string): Promise<IssuerTrust> {
  const kc = kubeConfig(kubeconfigPath);
  const discovery = asJson(await kc.makeApiClient(WellKnownApi).getServiceAccountIssuerOpenIDConfiguration());
  const jwks = asJson(await kc.makeApiClient(OpenidApi).getServiceAccountIssuerOpenIDKeyset()) as unknown as IssuerTrust['jwks'];
  if (typeof discovery.issuer !== 'string' || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new Error(`the API server's service-account issuer discovery is incomplete (issuer ${String(discovery.issuer)}, ${Array.isArray(jwks.keys) ? jwks.keys.length : 0} keys): is the ServiceAccountIssuerDiscovery endpoint reachable?`);
  }
  return { issuer: discovery.issuer, discovery, jwks };
}

/** Server-side apply, so re-running against a reused cluster converges instead of failing on 409. */
export async function applyObjects(kubeconfigPath: string, objects: readonly KubernetesObject[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kubeConfig(kubeconfigPath));
  for (const object of objects) {
    await client.patch(object, undefined, undefined, 'pullproof', true, PatchStrategy.ServerSideApply);
  }
}
