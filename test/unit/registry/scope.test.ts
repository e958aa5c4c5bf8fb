import { describe, expect, it } from 'vitest';
import {
  formatScope,
  MAX_SCOPE_LENGTH,
  MAX_SCOPES,
  parseScope,
  parseScopes,
  ScopeError,
  validRepositoryName,
} from '../../../registry/token-service/scope.ts';

/**
 * Scope strings as a token request carries them. A refusal is checked for its scope and its reason,
 * not only for being a refusal: the reason is what the client sees in the 400 `invalid_scope`, and a
 * scope refused for the wrong reason means one check is gone and another happens to catch it.
 */

const EXPECTED_FORM = 'expected "repository:<name>:<action>[,<action>]"';

/** The ScopeError that `parse` throws; fails the test when it throws nothing or something else. */
function scopeError(parse: () => unknown): ScopeError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ScopeError);
    return error as ScopeError;
  }
  return expect.unreachable('the scope was accepted');
}

describe('ScopeError', () => {
  it('names the scope, the reason and the expected form', () => {
    const error = new ScopeError('repository:a:PULL', 'action "PULL" is not [a-z]+ or "*"');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ScopeError');
    expect(error.scope).toBe('repository:a:PULL');
    expect(error.reason).toBe('action "PULL" is not [a-z]+ or "*"');
    expect(error.message).toBe(`invalid scope "repository:a:PULL": action "PULL" is not [a-z]+ or "*"; ${EXPECTED_FORM}`);
  });

  it('quotes a scope of 200 characters whole and cuts a longer one after 200 with an ellipsis', () => {
    const atLimit = 'a'.repeat(200);
    expect(new ScopeError(atLimit, 'r').message).toBe(`invalid scope "${atLimit}": r; ${EXPECTED_FORM}`);
    const above = `${'b'.repeat(199)}cd`;
    const error = new ScopeError(above, 'r');
    expect(error.message).toBe(`invalid scope "${'b'.repeat(199)}c…": r; ${EXPECTED_FORM}`);
    // The field keeps the whole scope for the audit log; only the message is shortened.
    expect(error.scope).toBe(above);
  });
});

describe('repository names (distribution reference grammar)', () => {
  // distribution/reference: NameTotalLengthMax = 255; path-component := [a-z0-9]+ (separator [a-z0-9]+)*,
  // separator := [._] | __ | [-]+ ; domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9].
  it.each([
    ['a one-character name', 'a'],
    ['two components', 'library/nginx'],
    ['a dot inside a component', 'team/my.app'],
    ['an underscore inside a component', 'team/my_app'],
    ['a double underscore', 'team/my__app'],
    ['a run of dashes', 'team/my---app'],
    ['several separators in one component', 'team/a.b_c__d-e--f'],
    ['a single dotted component (no host: nothing follows it)', 'my.app'],
    ['a host whose labels are one character, without a port', 'a.b/app'],
    ['a dotted host', 'registry.example.com/team-a/app'],
    ['a host with uppercase letters and a dash', 'My-Registry.Example.com/app'],
    ['a host with a port', 'registry.local:5000/team/app'],
    ['a one-letter host with a port', 'a:1/app'],
    ['a five-digit port', 'localhost:65535/app'],
    ['localhost as host', 'localhost/app'],
    ['exactly 255 characters', `team-a/${'x'.repeat(248)}`],
  ])('accepts %s', (_label, name) => {
    expect(validRepositoryName(name)).toBe(true);
  });

  it.each([
    ['an empty name', ''],
    ['256 characters', `team-a/${'x'.repeat(249)}`],
    ['uppercase in a path component', 'team/App'],
    ['an uppercase single component that looks like a host', 'Example.com'],
    ['a bare host:port with no path', 'localhost:5000'],
    ['an empty component', 'team//app'],
    ['a leading slash', '/app'],
    ['a trailing slash', 'app/'],
    ['a ".." component', 'team/../other'],
    ['a leading separator', 'team/.app'],
    ['a leading dash', 'team/-app'],
    ['a trailing separator', 'team/app.'],
    ['a trailing dash', 'team/app-'],
    ['a double dot', 'team/a..b'],
    ['mixed separators "._"', 'team/a._b'],
    ['three underscores', 'team/a___b'],
    ['a character that is no separator', 'team/a~b'],
    ['a host label starting with a dash', '-bad.example.com/app'],
    ['a host label ending with a dash', 'bad-.example.com/app'],
    ['one bad label among good ones', 'good.-bad/app'],
    ['an empty host label', 'a..b/app'],
    ['a one-character host label that is not alphanumeric', '_.com/app'],
    ['a six-digit port', 'localhost:123456/app'],
    ['an empty port', 'localhost:/app'],
    ['a non-numeric port', 'localhost:http/app'],
  ])('rejects %s', (_label, name) => {
    expect(validRepositoryName(name)).toBe(false);
  });
});

describe('scope parsing (distribution scope.md)', () => {
  it('splits on the first and last colon so host:port names survive', () => {
    expect(parseScope('repository:localhost:5001/team-a/app:pull,push')).toStrictEqual({
      type: 'repository',
      name: 'localhost:5001/team-a/app',
      actions: ['pull', 'push'],
    });
  });

  it('drops a resource class and de-duplicates and sorts actions', () => {
    expect(parseScope('repository(plugin):team-a/app:push,pull,push')).toStrictEqual({ type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] });
    expect(parseScope('repository:a:pull,*,delete')).toStrictEqual({ type: 'repository', name: 'a', actions: ['*', 'delete', 'pull'] });
  });

  it('accepts the catalog scope and an empty action list', () => {
    expect(parseScope('registry:catalog:*')).toStrictEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
    expect(parseScope('repository:a/b:')).toStrictEqual({ type: 'repository', name: 'a/b', actions: [] });
    expect(parseScope('registry:catalog:')).toStrictEqual({ type: 'registry', name: 'catalog', actions: [] });
  });

  it('parses an unknown resource type (the policy, not the parser, refuses it)', () => {
    expect(parseScope('a:b:pull')).toStrictEqual({ type: 'a', name: 'b', actions: ['pull'] });
  });

  it('checks only repository names against the reference grammar; other names are [a-z0-9]+ of any length', () => {
    const long = 'c'.repeat(300);
    expect(parseScope(`registry:${long}:*`)).toStrictEqual({ type: 'registry', name: long, actions: ['*'] });
  });

  it(`accepts a scope of exactly ${MAX_SCOPE_LENGTH} characters and refuses one more`, () => {
    const actions = Array.from({ length: 50 }, () => 'pull').join(',');
    const atLimit = `repository:${'a'.repeat(251)}:${actions}`;
    expect(atLimit).toHaveLength(512);
    expect(parseScope(atLimit)).toStrictEqual({ type: 'repository', name: 'a'.repeat(251), actions: ['pull'] });

    const above = `repository:${'a'.repeat(252)}:${actions}`;
    const error = scopeError(() => parseScope(above));
    expect(error.scope).toBe(above);
    expect(error.reason).toBe('longer than 512 characters');
    expect(error.message).toBe(`invalid scope "${above.slice(0, 200)}…": longer than 512 characters; ${EXPECTED_FORM}`);
  });

  const NOT_A_PATH = 'is not a valid reference path (lowercase components, no empty or ".." parts)';
  it.each([
    ['no colons', 'repository', 'needs three ":"-separated parts'],
    ['one colon', 'repository:a', 'needs three ":"-separated parts'],
    ['extra colons in the name', 'repository:a:b:c:pull', 'the resource name may contain at most one ":" (host:port)'],
    ['extra colons in a non-repository name', 'registry:a:b:c:*', 'the resource name may contain at most one ":" (host:port)'],
    ['dot-dot component', 'repository:team-a/../team-b:pull', `repository name "team-a/../team-b" ${NOT_A_PATH}`],
    ['empty component', 'repository:team-a//app:pull', `repository name "team-a//app" ${NOT_A_PATH}`],
    ['empty name', 'repository::pull', `repository name "" ${NOT_A_PATH}`],
    ['uppercase repository', 'repository:Team/app:pull', `repository name "Team/app" ${NOT_A_PATH}`],
    ['trailing separator', 'repository:a-:pull', `repository name "a-" ${NOT_A_PATH}`],
    ['bad port', 'repository:localhost:99999999/a:pull', `repository name "localhost:99999999/a" ${NOT_A_PATH}`],
    ['bare host:port', 'repository:localhost:5000:pull', `repository name "localhost:5000" ${NOT_A_PATH}`],
    ['uppercase type', 'Repo:a:pull', 'resource type "Repo" is not [a-z0-9]+ with an optional (class)'],
    ['type with a dash', 'repo-x:a:pull', 'resource type "repo-x" is not [a-z0-9]+ with an optional (class)'],
    ['uppercase class', 'repository(Plugin):a:pull', 'resource type "repository(Plugin)" is not [a-z0-9]+ with an optional (class)'],
    ['text after the class', 'repository(plugin)x:a:pull', 'resource type "repository(plugin)x" is not [a-z0-9]+ with an optional (class)'],
    ['uppercase non-repository name', 'registry:Catalog:*', 'resource name "Catalog" is not [a-z0-9]+'],
    ['non-repository name with a leading dash', 'registry:-catalog:*', 'resource name "-catalog" is not [a-z0-9]+'],
    ['non-repository name with a trailing dash', 'registry:catalog-:*', 'resource name "catalog-" is not [a-z0-9]+'],
    ['bad action', 'repository:a:PULL', 'action "PULL" is not [a-z]+ or "*"'],
    ['action with junk', 'repository:a:pull;push', 'action "pull;push" is not [a-z]+ or "*"'],
    ['empty action after a comma', 'repository:a:pull,', 'action "" is not [a-z]+ or "*"'],
    ['double star action', 'repository:a:**', 'action "**" is not [a-z]+ or "*"'],
  ])('rejects %s with its reason', (_label, raw, reason) => {
    const error = scopeError(() => parseScope(raw));
    expect({ name: error.name, scope: error.scope, reason: error.reason, message: error.message }).toStrictEqual({
      name: 'ScopeError',
      scope: raw,
      reason,
      message: `invalid scope ${JSON.stringify(raw)}: ${reason}; ${EXPECTED_FORM}`,
    });
  });
});

describe('the scopes of one request', () => {
  it('merges the same repository asked with different actions, sorting the union', () => {
    expect(parseScopes(['repository:a:push', 'repository:a:pull'])).toStrictEqual([{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]);
    expect(parseScopes(['repository:a:pull', 'repository:a:push']).map(formatScope)).toEqual(['repository:a:pull,push']);
  });

  it('merges across a resource class but keeps different types and names apart, in first-seen order', () => {
    expect(parseScopes(['repository(plugin):a:push', 'registry:a:*', 'repository:b:pull', 'repository:a:delete'])).toStrictEqual([
      { type: 'repository', name: 'a', actions: ['delete', 'push'] },
      { type: 'registry', name: 'a', actions: ['*'] },
      { type: 'repository', name: 'b', actions: ['pull'] },
    ]);
  });

  it('rejects an exact repeat, also across the GET and POST forms', () => {
    const error = scopeError(() => parseScopes(['repository:a:pull', 'repository:b:pull repository:a:pull']));
    expect({ scope: error.scope, reason: error.reason }).toStrictEqual({ scope: 'repository:a:pull', reason: 'repeated in the same request' });
    // Same resource, same actions, different spelling: not a repeat, merged.
    expect(parseScopes(['repository:a:pull,push', 'repository:a:push,pull'])).toStrictEqual([{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]);
  });

  it('reads the space-separated POST form and the repeated GET form alike, ignoring empty values and extra spaces', () => {
    expect(parseScopes(['repository:a:pull repository:b:pull']).map(formatScope)).toEqual(['repository:a:pull', 'repository:b:pull']);
    expect(parseScopes(['', '  repository:a:pull   repository:b:push ', ''])).toStrictEqual([
      { type: 'repository', name: 'a', actions: ['pull'] },
      { type: 'repository', name: 'b', actions: ['push'] },
    ]);
    expect(parseScopes([])).toStrictEqual([]);
    expect(parseScopes(['', ' '])).toStrictEqual([]);
    // One value, as most requests send: empty, blank or padded reads like the same value among others.
    expect(parseScopes([''])).toStrictEqual([]);
    expect(parseScopes([' '])).toStrictEqual([]);
    expect(parseScopes([' repository:a:pull'])).toStrictEqual([{ type: 'repository', name: 'a', actions: ['pull'] }]);
  });

  it('parses a single scope asked again and again like any other, and shares it read-only between requests', () => {
    for (let i = 0; i < 2; i++) expect(parseScopes(['repository:a:push,pull,pull'])).toStrictEqual([{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]);
    const [shared] = parseScopes(['repository:a:push,pull,pull']);
    expect(Object.isFrozen(shared) && Object.isFrozen(shared?.actions)).toBe(true);
    expect(() => (shared?.actions as string[]).push('delete')).toThrow(TypeError);
    expect(parseScopes(['repository:a:push,pull,pull'])[0]?.actions).toEqual(['pull', 'push']);
  });

  it('refuses an invalid single scope every time: nothing invalid is remembered', () => {
    for (let i = 0; i < 2; i++) expect(scopeError(() => parseScopes(['repository:A:pull'])).reason).toMatch(/is not a valid reference path/);
  });

  it('stays right after more distinct scopes than it remembers', () => {
    for (let i = 0; i < 2_100; i++) expect(parseScopes([`repository:r${i}:pull`])[0]?.name).toBe(`r${i}`);
    expect(parseScopes(['repository:r0:pull', 'repository:r2099:push']).map(formatScope)).toEqual(['repository:r0:pull', 'repository:r2099:push']);
  });

  it(`accepts exactly ${MAX_SCOPES} scopes and refuses one more, naming the first three`, () => {
    const scopes = (count: number) => Array.from({ length: count }, (_, i) => `repository:r${i}:pull`);
    expect(parseScopes(scopes(32))).toHaveLength(32);
    // Empty values do not count towards the limit.
    expect(parseScopes(['', ...scopes(32), ' '])).toHaveLength(32);

    const error = scopeError(() => parseScopes(scopes(33)));
    expect({ scope: error.scope, reason: error.reason }).toStrictEqual({
      scope: 'repository:r0:pull repository:r1:pull repository:r2:pull',
      reason: 'more than 32 scopes in one request',
    });
  });
});

describe('formatScope', () => {
  it('writes type:name:actions, with an empty action list as a trailing colon', () => {
    expect(formatScope({ type: 'repository', name: 'localhost:5000/a', actions: ['pull', 'push'] })).toBe('repository:localhost:5000/a:pull,push');
    expect(formatScope({ type: 'repository', name: 'a', actions: [] })).toBe('repository:a:');
    expect(formatScope(parseScope('registry(x):catalog:*'))).toBe('registry:catalog:*');
  });
});
