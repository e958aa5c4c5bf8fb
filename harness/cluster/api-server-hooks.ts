import { type IssuerTrust, applyObjects, fetchIssuerTrust } from './kube-api.ts';
import type { ClusterHooks } from './lifecycle.ts';
import { type NodeAudienceGrant, nodeAudienceRbac } from './node-audience-rbac.ts';

/**
 * The lifecycle's two API-server steps for real kindest/node clusters. Stand-in nodes run no API
 * server, so the stand-in tier leaves these hooks out.
 */
export function apiServerHooks(options: {
  /** Hands the cluster's issuer + JWKS to the token service, e.g. `(t) => service.trustIssuer({ issuer: t.issuer, jwks: t.jwks })`. */
  readonly trust: (trust: IssuerTrust) => void | Promise<void>;
  /** Node-audience grants of the scenario group; empty withholds the permission on purpose. */
  readonly grants: readonly NodeAudienceGrant[];
}): Pick<ClusterHooks, 'trustClusterIssuer' | 'applyNodeAudienceRbac'> {
  return {
    trustClusterIssuer: async (cluster) => { await options.trust(await fetchIssuerTrust(cluster.kubeconfigPath)); },
    applyNodeAudienceRbac: async (cluster) => {
      await applyObjects(cluster.kubeconfigPath, options.grants.flatMap((g) => nodeAudienceRbac(g)));
    },
  };
}
