import { describe, expect, it } from 'vitest';
import { formatScope, parseScope, parseScopes, ScopeError } from '../../../registry/token-service/scope.ts';

describe('scope parsing (distribution scope.md)', () => {
  it('splits on the first and last colon so host:port names survive', () => {
    expect(parseScope('repository:localhost:5001/team-a/app:pull,push')).toEqual({
      type: 'repository',
      name: 'localhost:5001/team-a/app',
      actions: ['pull', 'push'],
    });
  });

  it('drops a resource class and de-duplicates and sorts actions', () => {
    expect(parseScope('repository(plugin):team-a/app:push,pull,push')).toEqual({ type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] });
  });

  it('accepts the catalog scope and an empty action list', () => {
    expect(parseScope('registry:catalog:*')).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
    expect(parseScope('repository:a/b:').actions).toEqual([]);
  });

  it.each([
    ['no colons', 'repository'],
    ['one colon', 'repository:a'],
    ['extra colons in the name', 'repository:a:b:c:pull'],
    ['dot-dot component', 'repository:team-a/../team-b:pull'],
    ['empty component', 'repository:team-a//app:pull'],
    ['empty name', 'repository::pull'],
    ['uppercase repository', 'repository:Team/app:pull'],
    ['bad action', 'repository:a:PULL'],
    ['action with space-like junk', 'repository:a:pull;push'],
    ['bad type', 'Repo:a:pull'],
    ['trailing separator', 'repository:a-:pull'],
    ['bad port', 'repository:localhost:99999999/a:pull'],
  ])('rejects %s', (_label, raw) => {
    expect(() => parseScope(raw)).toThrow(ScopeError);
  });

  it('merges the same repository asked with different actions but rejects an exact repeat', () => {
    expect(parseScopes(['repository:a:pull', 'repository:a:push']).map(formatScope)).toEqual(['repository:a:pull,push']);
    expect(() => parseScopes(['repository:a:pull', 'repository:a:pull'])).toThrow(/repeated/);
  });

  it('reads the space-separated POST form and the repeated GET form alike', () => {
    expect(parseScopes(['repository:a:pull repository:b:pull']).map(formatScope)).toEqual(['repository:a:pull', 'repository:b:pull']);
  });

  it('caps the number of scopes per request', () => {
    const many = Array.from({ length: 40 }, (_, i) => `repository:r${i}:pull`);
    expect(() => parseScopes(many)).toThrow(/more than 32/);
  });
});
