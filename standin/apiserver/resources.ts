import type { GroupResource } from './status-errors.ts';

/**
 * The resources this stand-in serves, and how a URL path maps onto them (the apiserver's
 * RequestInfoFactory, k8s.io/apiserver pkg/endpoints/request/requestinfo.go, reduced to the
 * `/api/v1` and `/apis/<group>/<version>` trees).
 */

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly subresources: readonly string[];
  readonly shortNames?: readonly string[];
  /** Name rule from the kind's validation (pkg/apis/core/validation, pkg/apis/rbac/validation). */
  readonly nameRule: 'subdomain' | 'label' | 'path-segment';
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

export const RESOURCES: readonly ResourceType[] = [
  // Namespace names are DNS-1123 labels (ValidateNamespaceName); other core kinds use subdomains.
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status'], shortNames: ['ns'], nameRule: 'label' },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, verbs: CRUD, subresources: ['token'], shortNames: ['sa'], nameRule: 'subdomain' },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, verbs: CRUD, subresources: [], nameRule: 'subdomain' },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, verbs: CRUD, subresources: ['status'], shortNames: ['po'], nameRule: 'subdomain' },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, verbs: CRUD, subresources: [], shortNames: ['ev'], nameRule: 'subdomain' },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, verbs: CRUD, subresources: ['status'], shortNames: ['no'], nameRule: 'subdomain' },
  // RBAC names are path segments (ValidateRBACName = path.IsValidPathSegmentName).
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false, verbs: CRUD, subresources: [], nameRule: 'path-segment' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, verbs: CRUD, subresources: [], nameRule: 'path-segment' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', namespaced: true, verbs: CRUD, subresources: [], nameRule: 'path-segment' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', namespaced: true, verbs: CRUD, subresources: [], nameRule: 'path-segment' },
];

export function groupVersion(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function groupResource(type: ResourceType): GroupResource {
  return { group: type.group, resource: type.resource };
}

export function resourceType(group: string, resource: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.resource === resource);
}

export function resourceByKind(group: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.kind === kind);
}

export const SERVED_GROUP_VERSIONS: readonly { group: string; version: string }[] = [
  { group: '', version: 'v1' },
  { group: 'rbac.authorization.k8s.io', version: 'v1' },
];

export type ResourcePath =
  | { readonly kind: 'resource'; readonly group: string; readonly version: string; readonly resource: string; readonly namespace?: string; readonly name?: string; readonly subresource?: string }
  | { readonly kind: 'group-version'; readonly group: string; readonly version: string }
  | { readonly kind: 'other' };

/**
 * `/api/v1/namespaces/ns/pods/p/status` → {resource pods, namespace ns, name p, subresource status}.
 * `/api/v1/namespaces/ns` is the namespace object itself (requestinfo.go special-cases "namespaces").
 */
export function parsePath(pathname: string): ResourcePath {
  const parts = pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else return { kind: 'other' };
  if (rest.length === 0) return { kind: 'group-version', group, version };
  let namespace: string | undefined;
  // requestinfo.go: `namespaces/<ns>/status|finalize` are the namespace's own subresources.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (resource === undefined || extra.length > 0) return { kind: 'other' };
  return { kind: 'resource', group, version, resource, ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}) };
}
