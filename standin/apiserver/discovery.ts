import { groupVersion, RESOURCES, SERVED_GROUP_VERSIONS } from './resources.ts';
import type { JsonObject } from './types.ts';

/**
 * Legacy discovery documents (k8s.io/apiserver pkg/endpoints/discovery: APIVersions, APIGroupList,
 * APIGroup, APIResourceList). Aggregated discovery (apidiscovery.k8s.io/v2) is not served; clients
 * that ask for it fall back to these when the answer is plain application/json.
 */

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string): JsonObject {
  const versions = SERVED_GROUP_VERSIONS.filter((g) => g.group === group).map((g) => ({ groupVersion: groupVersion(g), version: g.version }));
  return { name: group, versions, ...(versions[0] ? { preferredVersion: versions[0] } : {}) };
}

export function apiGroupList(): JsonObject {
  const groups = [...new Set(SERVED_GROUP_VERSIONS.map((g) => g.group).filter((g) => g !== ''))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(apiGroup) };
}

export function apiGroupDocument(group: string): JsonObject | undefined {
  if (!SERVED_GROUP_VERSIONS.some((g) => g.group === group && g.group !== '')) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

export function apiResourceList(group: string, version: string): JsonObject | undefined {
  if (!SERVED_GROUP_VERSIONS.some((g) => g.group === group && g.version === version)) return undefined;
  const resources: JsonObject[] = [];
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) {
    resources.push({ name: r.resource, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs], ...(r.shortNames ? { shortNames: [...r.shortNames] } : {}) });
    for (const sub of r.subresources) {
      if (sub === 'token') resources.push({ name: `${r.resource}/token`, singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
      else resources.push({ name: `${r.resource}/${sub}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources };
}

/** `/version` (k8s.io/apimachinery pkg/version/types.go Info) for a `v1.33.1`-like gitVersion. */
export function versionInfo(gitVersion: string): JsonObject {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '0',
    gitVersion,
    gitCommit: 'pullproof-standin',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: 'none (pullproof stand-in, Node.js)',
    compiler: 'gc',
    platform: `linux/${process.arch === 'arm64' ? 'arm64' : 'amd64'}`,
  };
}
