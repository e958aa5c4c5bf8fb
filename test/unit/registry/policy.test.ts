import { describe, expect, it } from 'vitest';
import { globMatch } from '../../../registry/policy/glob.ts';
import { PolicyError, parsePolicyYaml } from '../../../registry/policy/load.ts';
import { evaluate, mayAssume, type Policy } from '../../../registry/policy/policy.ts';
import { parseScope } from '../../../registry/token-service/scope.ts';

const policy: Policy = parsePolicyYaml(`
subjects:
  - name: team-a pull
    match: { namespace: team-a, serviceAccount: "*" }
    grants:
      - repositories: ["team-a/*"]
        actions: [pull]
  - name: team-a builder push
    match: { namespace: team-a, serviceAccount: builder }
    grants:
      - repositories: ["team-a/*"]
        actions: [push]
roles:
  - name: R
    trust: [{ namespace: ns-a, serviceAccount: "*" }]
    grants:
      - repositories: ["shared/**"]
        actions: [pull]
`, 'test');

const sa = (namespace: string, name: string) => ({ kind: 'serviceAccount' as const, namespace, name });

describe('policy evaluation', () => {
  it('grants the union of every matching rule, regardless of order', () => {
    const [decision] = evaluate(policy, sa('team-a', 'builder'), [parseScope('repository:team-a/app:pull,push')]);
    expect(decision?.granted).toEqual(['pull', 'push']);
    const reversed: Policy = { ...policy, subjects: [...policy.subjects].reverse() };
    expect(evaluate(reversed, sa('team-a', 'builder'), [parseScope('repository:team-a/app:pull,push')])[0]?.granted).toEqual(['pull', 'push']);
  });

  it('grants the intersection and explains what is missing', () => {
    const [decision] = evaluate(policy, sa('team-a', 'web'), [parseScope('repository:team-a/app:pull,push')]);
    expect(decision?.granted).toEqual(['pull']);
    expect(decision?.denyReason).toMatch(/not granted push on team-a\/app/);
  });

  it('denies by default', () => {
    const [decision] = evaluate(policy, sa('team-a', 'web'), [parseScope('repository:team-b/app:pull')]);
    expect(decision?.granted).toEqual([]);
    expect(decision?.denyReason).toMatch(/no grant .* matches repository team-b\/app/);
  });

  it('never grants the catalog or "*" to a service account, always to the admin', () => {
    const scopes = [parseScope('registry:catalog:*'), parseScope('repository:team-a/app:*')];
    expect(evaluate(policy, sa('team-a', 'builder'), scopes).map((d) => d.granted)).toEqual([[], []]);
    expect(evaluate(policy, { kind: 'admin', username: 'root' }, scopes).map((d) => d.granted)).toEqual([['*'], ['*']]);
  });

  it('gives a role session only the role grants', () => {
    const principal = { kind: 'role' as const, role: 'R', namespace: 'team-a', name: 'builder' };
    expect(evaluate(policy, principal, [parseScope('repository:shared/x/y:pull')])[0]?.granted).toEqual(['pull']);
    expect(evaluate(policy, principal, [parseScope('repository:team-a/app:pull')])[0]?.granted).toEqual([]);
  });

  it('lets only trusted subjects assume a role', () => {
    expect(mayAssume(policy, 'R', 'ns-a', 'sa1').allowed).toBe(true);
    expect(mayAssume(policy, 'R', 'ns-b', 'sa1')).toEqual({ allowed: false, reason: 'role R does not trust system:serviceaccount:ns-b:sa1' });
    expect(mayAssume(policy, 'nope', 'ns-a', 'sa1').allowed).toBe(false);
  });
});

describe('globs', () => {
  it('keeps * inside one path segment and lets ** cross segments', () => {
    expect(globMatch('team-a/*', 'team-a/app')).toBe(true);
    expect(globMatch('team-a/*', 'team-a/x/app')).toBe(false);
    expect(globMatch('team-a/**', 'team-a/x/app')).toBe(true);
    expect(globMatch('team.a', 'teamxa')).toBe(false);
  });
});

describe('policy loader', () => {
  it.each([
    ['subjects: [{ match: { namespace: a, serviceAccount: b }, grants: [{ repositories: [x], actions: [pul] }] }]', 'subjects[0].grants[0].actions[0]'],
    ['subjects: [{ match: { namespace: a }, grants: [] }]', 'subjects[0].match.serviceAccount'],
    ['roles: [{ name: R, trust: [], grants: [] }]', 'roles[0].trust'],
    ['roles: [{ name: R, trust: [{namespace: a, serviceAccount: b}], grants: [] }, { name: R, trust: [{namespace: a, serviceAccount: b}], grants: [] }]', 'roles[1].name'],
    ['subject: []', 'subject'],
    ['subjects: [{ match: { namespace: a, serviceAccount: b }, grants: [{ repositories: ["a b"], actions: [pull] }] }]', 'subjects[0].grants[0].repositories[0]'],
  ])('points at the offending field', (yaml, path) => {
    try {
      parsePolicyYaml(yaml, 'inline.yaml');
      expect.unreachable('policy should have been rejected');
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as PolicyError).path).toBe(path);
      expect((error as PolicyError).message).toContain('inline.yaml');
    }
  });
});

describe('fixtures/policies/example.yaml', () => {
  it('loads and decides as its comments say', async () => {
    const { loadPolicyFile } = await import('../../../registry/policy/load.ts');
    const example = await loadPolicyFile(new URL('../../../fixtures/policies/example.yaml', import.meta.url).pathname);
    expect(evaluate(example, sa('team-a', 'builder'), [parseScope('repository:team-a/app:pull,push')])[0]?.granted).toEqual(['pull', 'push']);
    expect(evaluate(example, sa('team-a', 'web'), [parseScope('repository:team-a/app:pull,push')])[0]?.granted).toEqual(['pull']);
    expect(mayAssume(example, 'shared-reader', 'platform-eu', 'ci').allowed).toBe(true);
    expect(mayAssume(example, 'shared-reader', 'platform-eu', 'web').allowed).toBe(false);
  });
});
