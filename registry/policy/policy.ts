import type { ResourceScope } from '../token-service/scope.ts';
import { globMatch } from './glob.ts';

/**
 * Who may do what to which repository.
 *
 * Evaluation order (there is no "first match": order in the file never changes a decision):
 *  1. The caller's identity becomes a principal: the admin, a service account
 *     (namespace + name from a verified SA token), a role session (minted by /exchange), or a
 *     static user (username/password from config, e.g. an imagePullSecret's credentials).
 *  2. Admin: every requested action on every resource (including `registry:catalog:*`).
 *  3. Service account: every `subjects` rule whose `match` globs match (namespace AND
 *     serviceAccount) contributes its grants. Role session: only the grants of that role.
 *     Static user: only the grants configured for that user.
 *  4. For each requested repository scope, the allowed actions are the UNION of the actions of all
 *     contributing grants whose `repositories` globs match the repository name.
 *  5. Granted = requested ∩ allowed (distribution token spec: a partial or empty grant is not an
 *     error; only the registry reports it). Nothing matches → nothing granted (default deny).
 *  6. Non-repository resources and the `*` action are only ever granted to the admin.
 * There are no deny rules, so adding a rule can only widen access, never narrow it by position.
 */

export const ACTIONS = ['pull', 'push', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Grant {
  /** Repository-name globs (`team-a/*`, `shared/**`). */
  readonly repositories: readonly string[];
  readonly actions: readonly Action[];
}

/** Globs over the service account's namespace and name. */
export interface SubjectMatch {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface SubjectRule {
  /** Free text naming the rule in audit entries; defaults to its position. */
  readonly name?: string;
  readonly match: SubjectMatch;
  readonly grants: readonly Grant[];
}

export interface Role {
  readonly name: string;
  /** Subjects that may assume the role through /exchange (any entry matching suffices). */
  readonly trust: readonly SubjectMatch[];
  readonly grants: readonly Grant[];
}

export interface Policy {
  readonly subjects: readonly SubjectRule[];
  readonly roles: readonly Role[];
}

export type Principal =
  | { readonly kind: 'admin'; readonly username: string }
  /** A static user (e.g. the credentials of an imagePullSecret): exactly its own grants. */
  | { readonly kind: 'staticUser'; readonly username: string; readonly grants: readonly Grant[] }
  | { readonly kind: 'serviceAccount'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'role'; readonly role: string; readonly namespace: string; readonly name: string };

export interface ScopeDecision {
  readonly requested: ResourceScope;
  readonly granted: readonly string[];
  /** Names of the rules/roles that contributed at least one action. */
  readonly matchedBy: readonly string[];
  /** Why some requested action was not granted; absent when everything was granted. */
  readonly denyReason?: string;
}

export function subjectMatches(match: SubjectMatch, namespace: string, name: string): boolean {
  return globMatch(match.namespace, namespace) && globMatch(match.serviceAccount, name);
}

function contributingGrants(policy: Policy, principal: Principal): { source: string; grant: Grant }[] {
  if (principal.kind === 'serviceAccount') {
    return policy.subjects.flatMap((rule, index) =>
      subjectMatches(rule.match, principal.namespace, principal.name)
        ? rule.grants.map((grant) => ({ source: rule.name ?? `subjects[${index}]`, grant }))
        : [],
    );
  }
  if (principal.kind === 'staticUser') return principal.grants.map((grant) => ({ source: `user ${principal.username}`, grant }));
  if (principal.kind === 'role') {
    const role = policy.roles.find((candidate) => candidate.name === principal.role);
    return role ? role.grants.map((grant) => ({ source: `role ${role.name}`, grant })) : [];
  }
  return [];
}

function describe(principal: Principal): string {
  if (principal.kind === 'admin') return 'admin';
  if (principal.kind === 'role') return `role ${principal.role}`;
  if (principal.kind === 'staticUser') return `user ${principal.username}`;
  return `system:serviceaccount:${principal.namespace}:${principal.name}`;
}

export function evaluate(policy: Policy, principal: Principal, scopes: readonly ResourceScope[]): ScopeDecision[] {
  if (principal.kind === 'admin') {
    return scopes.map((requested) => ({ requested, granted: [...requested.actions], matchedBy: ['admin'] }));
  }
  const grants = contributingGrants(policy, principal);
  return scopes.map((requested) => {
    if (requested.type !== 'repository') {
      return requested.actions.length === 0
        ? { requested, granted: [], matchedBy: [] }
        : { requested, granted: [], matchedBy: [], denyReason: `resource type ${requested.type} is only granted to the admin` };
    }
    const allowed = new Set<string>();
    const matchedBy = new Set<string>();
    for (const { source, grant } of grants) {
      if (!grant.repositories.some((glob) => globMatch(glob, requested.name))) continue;
      for (const action of grant.actions) allowed.add(action);
      matchedBy.add(source);
    }
    const granted = requested.actions.filter((action) => allowed.has(action));
    const missing = requested.actions.filter((action) => !allowed.has(action));
    if (missing.length === 0) return { requested, granted, matchedBy: [...matchedBy] };
    const denyReason =
      matchedBy.size === 0
        ? `no grant for ${describe(principal)} matches repository ${requested.name}`
        : `${describe(principal)} is not granted ${missing.join(',')} on ${requested.name} (allowed: ${[...allowed].sort().join(',') || 'nothing'})`;
    return { requested, granted, matchedBy: [...matchedBy], denyReason };
  });
}

export type TrustDecision = { readonly allowed: true; readonly role: Role } | { readonly allowed: false; readonly reason: string };

/** Whether `system:serviceaccount:<namespace>:<name>` may assume `roleName`. Unknown role = denied. */
export function mayAssume(policy: Policy, roleName: string, namespace: string, name: string): TrustDecision {
  const role = policy.roles.find((candidate) => candidate.name === roleName);
  if (!role) return { allowed: false, reason: `role ${JSON.stringify(roleName)} is not defined in the policy` };
  if (role.trust.some((match) => subjectMatches(match, namespace, name))) return { allowed: true, role };
  return { allowed: false, reason: `role ${role.name} does not trust system:serviceaccount:${namespace}:${name}` };
}
