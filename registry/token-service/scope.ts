/**
 * Scope strings of the distribution token spec (docs/spec/auth/scope.md):
 *   resourcescope := resourcetype ":" resourcename ":" action [ ',' action ]*
 *   resourcename  := [ hostname '/' ] component [ '/' component ]*   (hostname may carry ":port")
 * Because the name may contain one ':' (host:port), a scope is split on its FIRST and LAST ':'
 * (reference/registry-token-auth.md §1.6: "split on the first three colons" parsing is wrong).
 */

export interface ResourceScope {
  /** `repository` or `registry`; a `(class)` suffix is accepted and dropped (deprecated and ignored at HEAD). */
  readonly type: string;
  readonly name: string;
  /** Sorted, de-duplicated; may be empty (`repository:x:` asks for nothing). */
  readonly actions: readonly string[];
}

export class ScopeError extends Error {
  readonly scope: string;
  readonly reason: string;
  constructor(scope: string, reason: string) {
    super(`invalid scope ${JSON.stringify(scope.length > 200 ? `${scope.slice(0, 200)}…` : scope)}: ${reason}; expected "repository:<name>:<action>[,<action>]"`);
    this.name = 'ScopeError';
    this.scope = scope;
    this.reason = reason;
  }
}

/** Upper bounds: a real client asks for a handful of scopes (containerd: one per repository). */
export const MAX_SCOPES = 32;
export const MAX_SCOPE_LENGTH = 512;

const TYPE = /^[a-z0-9]+(\([a-z0-9]+\))?$/;
// distribution reference grammar: path-component := alpha-numeric (separator alpha-numeric)*,
// separator := /[_.]|__|[-]+/ — so '..', leading/trailing separators and empty components are invalid.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
// scope.md: action := /[a-z]*/ ; registry:catalog uses "*" (reference §1.6 table).
const ACTION = /^(?:[a-z]+|\*)$/;

function validHost(host: string): boolean {
  const colon = host.indexOf(':');
  const name = colon === -1 ? host : host.slice(0, colon);
  if (colon !== -1 && !PORT.test(host.slice(colon + 1))) return false;
  return name.split('.').every((part) => HOST_COMPONENT.test(part));
}

export function validRepositoryName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  const parts = name.split('/');
  const first = parts[0] ?? '';
  // A first component is a hostname only if it has '.' or ':' or is "localhost" (docker reference rules).
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost && !validHost(first)) return false;
  return (hasHost ? parts.slice(1) : parts).every((part) => COMPONENT.test(part));
}

export function parseScope(raw: string): ResourceScope {
  if (raw.length > MAX_SCOPE_LENGTH) throw new ScopeError(raw, `longer than ${MAX_SCOPE_LENGTH} characters`);
  const first = raw.indexOf(':');
  const last = raw.lastIndexOf(':');
  if (first === -1 || first === last) throw new ScopeError(raw, 'needs three ":"-separated parts');
  const rawType = raw.slice(0, first);
  const name = raw.slice(first + 1, last);
  const actionList = raw.slice(last + 1);
  if (!TYPE.test(rawType)) throw new ScopeError(raw, `resource type ${JSON.stringify(rawType)} is not [a-z0-9]+ with an optional (class)`);
  const type = rawType.replace(/\(.*\)$/, '');
  if (name.split(':').length > 2) throw new ScopeError(raw, 'the resource name may contain at most one ":" (host:port)');
  if (type === 'repository' && !validRepositoryName(name)) {
    throw new ScopeError(raw, `repository name ${JSON.stringify(name)} is not a valid reference path (lowercase components, no empty or ".." parts)`);
  }
  if (type !== 'repository' && !/^[a-z0-9]+$/.test(name)) throw new ScopeError(raw, `resource name ${JSON.stringify(name)} is not [a-z0-9]+`);
  const actions = actionList === '' ? [] : actionList.split(',');
  for (const action of actions) {
    if (!ACTION.test(action)) throw new ScopeError(raw, `action ${JSON.stringify(action)} is not [a-z]+ or "*"`);
  }
  return { type, name, actions: [...new Set(actions)].sort() };
}

/**
 * Parsed scopes by their exact string. A registry client asks for the same few scopes again and again
 * (containerd: one `repository:<name>:pull` per pull), and parsing one cost ~1.5 µs of each token
 * request (bench profile). Only valid scopes are kept (parseScope throws for the others); entries are
 * frozen because every request shares them; the map is emptied when full, so it stays small.
 */
const PARSED = new Map<string, ResourceScope>();
const PARSED_MAX = 1024;

function parseScopeCached(raw: string): ResourceScope {
  let scope = PARSED.get(raw);
  if (scope === undefined) {
    const parsed = parseScope(raw);
    scope = Object.freeze({ type: parsed.type, name: parsed.name, actions: Object.freeze(parsed.actions) });
    if (PARSED.size >= PARSED_MAX) PARSED.clear();
    PARSED.set(raw, scope);
  }
  return scope;
}

/**
 * Parses the scopes of one token request. GET repeats `scope=`; the OAuth2 POST form sends one
 * space-separated `scope` (oauth.md) — each value is split on spaces, so both work either way.
 * Rules: an exact duplicate scope string is rejected (no client sends one: containerd de-duplicates,
 * and a duplicate only makes sense as probing); the same resource asked for with different actions
 * (distribution's client does `repository:a:pull` + `repository:a:push`) is merged.
 */
export function parseScopes(values: readonly string[]): ResourceScope[] {
  const only = values.length === 1 ? values[0] : undefined;
  // The common request, one scope: nothing to split, merge or de-duplicate.
  if (only !== undefined && only !== '' && !only.includes(' ')) return [parseScopeCached(only)];
  const raws = values.flatMap((value) => value.split(' ')).filter((value) => value !== '');
  if (raws.length > MAX_SCOPES) throw new ScopeError(raws.slice(0, 3).join(' '), `more than ${MAX_SCOPES} scopes in one request`);
  const seen = new Set<string>();
  const merged = new Map<string, { type: string; name: string; actions: Set<string> }>();
  for (const raw of raws) {
    if (seen.has(raw)) throw new ScopeError(raw, 'repeated in the same request');
    seen.add(raw);
    const scope = parseScopeCached(raw);
    const key = `${scope.type}\u0000${scope.name}`;
    const entry = merged.get(key) ?? { type: scope.type, name: scope.name, actions: new Set<string>() };
    for (const action of scope.actions) entry.actions.add(action);
    merged.set(key, entry);
  }
  return [...merged.values()].map((entry) => ({ type: entry.type, name: entry.name, actions: [...entry.actions].sort() }));
}

export function formatScope(scope: ResourceScope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}
