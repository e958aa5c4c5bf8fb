import type { V1ClusterRole, V1ClusterRoleBinding } from '@kubernetes/client-node';
import { stringify } from 'yaml';

/**
 * RBAC that lets kubelets request service-account tokens for a non-default audience. With
 * ServiceAccountNodeAudienceRestriction (beta, on from 1.33) the NodeRestriction admission plugin
 * checks verb `request-serviceaccounts-token-audience`, apiGroup "", resource = the audience,
 * name = the service account, for the node's identity (KEP-4412; kubernetes.io node.md). Scenarios
 * grant or withhold it on purpose.
 */

export const NODE_AUDIENCE_VERB = 'request-serviceaccounts-token-audience';

export interface NodeAudienceGrant {
  readonly roleName: string;
  readonly bindingName?: string;
  /** `"*"` allows any audience (upstream form). */
  readonly audience: string;
  /** Omit to allow the audience for every service account ("Omitting resourceNames allows the audience for any service account"). */
  readonly serviceAccountNames?: readonly string[];
}

export function nodeAudienceRbac(grant: NodeAudienceGrant): [V1ClusterRole, V1ClusterRoleBinding] {
  const role: V1ClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: grant.roleName },
    rules: [{
      verbs: [NODE_AUDIENCE_VERB],
      apiGroups: [''],
      resources: [grant.audience],
      ...(grant.serviceAccountNames ? { resourceNames: [...grant.serviceAccountNames] } : {}),
    }],
  };
  const binding: V1ClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: grant.bindingName ?? `${grant.roleName}-nodes` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: grant.roleName },
    // Every kubelet authenticates in group system:nodes (Node authorizer / NodeRestriction).
    subjects: [{ kind: 'Group', name: 'system:nodes', apiGroup: 'rbac.authorization.k8s.io' }],
  };
  return [role, binding];
}

export function renderManifests(objects: readonly object[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
