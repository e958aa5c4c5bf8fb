import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { nodeAudienceRbac, renderManifests } from '../../../harness/cluster/node-audience-rbac.ts';
import { expectGolden } from './golden.ts';

// kubernetes.io docs/reference/access-authn-authz/node.md (KEP-4412), verbatim.
const UPSTREAM_EXAMPLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: node-audience-my-registry
rules:
- verbs: ["request-serviceaccounts-token-audience"]
  apiGroups: [""]
  resources: ["my-registry-audience"]
  resourceNames: ["my-service-account"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: node-audience-binding
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: node-audience-my-registry
subjects:
- kind: Group
  name: system:nodes
  apiGroup: rbac.authorization.k8s.io
`;

const parseAll = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown);

describe('node-audience RBAC', () => {
  it('equals the upstream docs example for a specific audience and service account', () => {
    const generated = nodeAudienceRbac({
      roleName: 'node-audience-my-registry', bindingName: 'node-audience-binding',
      audience: 'my-registry-audience', serviceAccountNames: ['my-service-account'],
    });
    expect(parseAll(renderManifests(generated))).toEqual(parseAll(UPSTREAM_EXAMPLE));
  });

  it('omits resourceNames to allow the audience for any service account (KEP-4412 form)', () => {
    const [role] = nodeAudienceRbac({ roleName: 'r', audience: 'pullproof-registry' });
    expect(role.rules).toEqual([{ verbs: ['request-serviceaccounts-token-audience'], apiGroups: [''], resources: ['pullproof-registry'] }]);
  });

  it('allows any audience with the wildcard resource (KEP-4412 form)', () => {
    const [role] = nodeAudienceRbac({ roleName: 'r', audience: '*' });
    expect(role.rules?.[0]?.resources).toEqual(['*']);
  });

  it('binds the role to the group every kubelet is in', () => {
    const [, binding] = nodeAudienceRbac({ roleName: 'pullproof-node-audience', audience: 'a' });
    expect(binding.subjects).toEqual([{ kind: 'Group', name: 'system:nodes', apiGroup: 'rbac.authorization.k8s.io' }]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pullproof-node-audience' });
    expect(binding.metadata?.name).toBe('pullproof-node-audience-nodes');
  });

  it('matches the reviewed golden manifest for the pullproof registry audience', () => {
    expectGolden('node-audience-rbac.yaml', renderManifests(nodeAudienceRbac({
      roleName: 'pullproof-node-audience', audience: 'pullproof-registry', serviceAccountNames: ['granted'],
    })));
  });
});
