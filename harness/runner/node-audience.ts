import { KubeConfig, RbacAuthorizationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { applyObjects } from '../cluster/kube-api.ts';
import { nodeAudienceRbac, type NodeAudienceGrant } from '../cluster/node-audience-rbac.ts';

/** Marks the node-audience RBAC pullproof applies, so a later run can find and prune it. */
export const NODE_AUDIENCE_LABEL = 'pullproof.dev/node-audience';

export function labelledNodeAudienceRbac(grants: readonly NodeAudienceGrant[]): KubernetesObject[] {
  return grants.flatMap((grant) => nodeAudienceRbac(grant)).map((object) => ({
    ...object,
    metadata: { ...object.metadata, labels: { ...object.metadata?.labels, [NODE_AUDIENCE_LABEL]: 'true' } },
  }));
}

/**
 * Makes the cluster's node-audience RBAC exactly the given grants: on a reused cluster a grant an
 * earlier run applied (or a scenario since changed to withhold) must not linger, or a pod that
 * should be refused a token would get one.
 */
export async function syncNodeAudienceRbac(kubeconfigPath: string, grants: readonly NodeAudienceGrant[]): Promise<{ pruned: string[] }> {
  const objects = labelledNodeAudienceRbac(grants);
  const keep = new Set(objects.map((o) => `${o.kind}/${o.metadata?.name ?? ''}`));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const labelSelector = `${NODE_AUDIENCE_LABEL}=true`;
  const pruned: string[] = [];
  for (const binding of (await rbac.listClusterRoleBinding({ labelSelector })).items) {
    const name = binding.metadata?.name ?? '';
    if (!keep.has(`ClusterRoleBinding/${name}`)) {
      await rbac.deleteClusterRoleBinding({ name });
      pruned.push(`ClusterRoleBinding/${name}`);
    }
  }
  for (const role of (await rbac.listClusterRole({ labelSelector })).items) {
    const name = role.metadata?.name ?? '';
    if (!keep.has(`ClusterRole/${name}`)) {
      await rbac.deleteClusterRole({ name });
      pruned.push(`ClusterRole/${name}`);
    }
  }
  if (objects.length > 0) await applyObjects(kubeconfigPath, objects);
  return { pruned };
}
