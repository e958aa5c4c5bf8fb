import { describe, expect, it } from 'vitest';
import { globMatch, globToRegExp } from '../../../registry/policy/glob.ts';
import { PolicyError, parsePolicyYaml } from '../../../registry/policy/load.ts';
import { evaluate, mayAssume, subjectMatches, type Action, type Grant, type Policy, type Principal, type Role } from '../../../registry/policy/policy.ts';
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

// Built as a TypeScript object rather than loaded, so it can hold what the loader refuses but
// evaluate() must still handle: a rule without a name and a grant without actions.
const grant = (repositories: string[], actions: Action[]): Grant => ({ repositories, actions });
const reader: Role = {
  name: 'reader',
  trust: [
    { namespace: 'ns-a', serviceAccount: 'ci' },
    { namespace: 'platform-*', serviceAccount: '*' },
  ],
  grants: [grant(['shared/**'], ['pull'])],
};
const writer: Role = { name: 'writer', trust: [{ namespace: 'ns-w', serviceAccount: 'deployer' }], grants: [grant(['shared/**'], ['pull', 'push'])] };
const objectPolicy: Policy = {
  subjects: [
    { name: 'team-a pull', match: { namespace: 'team-a', serviceAccount: '*' }, grants: [grant(['team-a/*', 'shared/**'], ['pull'])] },
    { match: { namespace: 'team-*', serviceAccount: 'builder' }, grants: [grant(['team-a/*'], ['push', 'delete'])] },
    { name: 'audit', match: { namespace: 'audit', serviceAccount: 'auditor' }, grants: [grant(['team-a/*'], [])] },
    { name: 'everything', match: { namespace: 'ops', serviceAccount: 'root' }, grants: [grant(['**'], ['pull', 'push', 'delete'])] },
  ],
  roles: [reader, writer],
};
const admin: Principal = { kind: 'admin', username: 'root' };

describe('policy decisions, field by field', () => {
  it('gives the admin every requested action on every resource, matched by "admin"', () => {
    const scopes = [parseScope('registry:catalog:*'), parseScope('repository:team-a/app:delete,pull'), parseScope('repository:x:')];
    expect(evaluate(objectPolicy, admin, scopes)).toStrictEqual([
      { requested: scopes[0], granted: ['*'], matchedBy: ['admin'] },
      { requested: scopes[1], granted: ['delete', 'pull'], matchedBy: ['admin'] },
      { requested: scopes[2], granted: [], matchedBy: ['admin'] },
    ]);
  });

  it('names every contributing rule in policy order, an unnamed one by its position, and gives no reason when all is granted', () => {
    const requested = parseScope('repository:team-a/app:delete,pull,push');
    expect(evaluate(objectPolicy, sa('team-a', 'builder'), [requested])).toStrictEqual([
      { requested, granted: ['delete', 'pull', 'push'], matchedBy: ['team-a pull', 'subjects[1]'] },
    ]);
  });

  it('lets any one of the repository globs of a grant match', () => {
    const requested = parseScope('repository:shared/base/img:pull');
    expect(evaluate(objectPolicy, sa('team-a', 'web'), [requested])).toStrictEqual([{ requested, granted: ['pull'], matchedBy: ['team-a pull'] }]);
  });

  it('lists every missing action and the sorted allowed ones in the reason', () => {
    const requested = parseScope('repository:team-a/app:delete,pull,push');
    expect(evaluate(objectPolicy, sa('team-a', 'web'), [requested])).toStrictEqual([
      {
        requested,
        granted: ['pull'],
        matchedBy: ['team-a pull'],
        denyReason: 'system:serviceaccount:team-a:web is not granted delete,push on team-a/app (allowed: pull)',
      },
    ]);
    // Allowed actions are collected as pull (rule 0), then push, delete (rule 1); the reason sorts them.
    const star = parseScope('repository:team-a/app:*');
    expect(evaluate(objectPolicy, sa('team-a', 'builder'), [star])).toStrictEqual([
      {
        requested: star,
        granted: [],
        matchedBy: ['team-a pull', 'subjects[1]'],
        denyReason: 'system:serviceaccount:team-a:builder is not granted * on team-a/app (allowed: delete,pull,push)',
      },
    ]);
  });

  it('says "nothing" is allowed when the matching grants carry no action', () => {
    const requested = parseScope('repository:team-a/app:pull');
    expect(evaluate(objectPolicy, sa('audit', 'auditor'), [requested])).toStrictEqual([
      { requested, granted: [], matchedBy: ['audit'], denyReason: 'system:serviceaccount:audit:auditor is not granted pull on team-a/app (allowed: nothing)' },
    ]);
  });

  it('denies by default, naming the subject and the repository', () => {
    const requested = parseScope('repository:team-b/app:pull');
    expect(evaluate(objectPolicy, sa('team-a', 'web'), [requested])).toStrictEqual([
      { requested, granted: [], matchedBy: [], denyReason: 'no grant for system:serviceaccount:team-a:web matches repository team-b/app' },
    ]);
  });

  it('gives no reason when nothing was asked for, even where nothing matches', () => {
    const requested = parseScope('repository:team-b/app:');
    expect(evaluate(objectPolicy, sa('team-a', 'web'), [requested])).toStrictEqual([{ requested, granted: [], matchedBy: [] }]);
  });

  it('refuses non-repository resources to everyone but the admin, even under a "**" grant, with a reason only when actions were asked', () => {
    const catalog = parseScope('registry:catalog:*');
    const catalogNothing = parseScope('registry:catalog:');
    const other = parseScope('a:b:pull');
    expect(evaluate(objectPolicy, sa('ops', 'root'), [catalog, catalogNothing, other])).toStrictEqual([
      { requested: catalog, granted: [], matchedBy: [], denyReason: 'resource type registry is only granted to the admin' },
      { requested: catalogNothing, granted: [], matchedBy: [] },
      { requested: other, granted: [], matchedBy: [], denyReason: 'resource type a is only granted to the admin' },
    ]);
  });

  it('gives a static user exactly its own grants, named after the user', () => {
    const user: Principal = { kind: 'staticUser', username: 'ci', grants: [grant(['mirror/*'], ['pull'])] };
    const mirror = parseScope('repository:mirror/nginx:pull,push');
    const teamA = parseScope('repository:team-a/app:pull');
    expect(evaluate(objectPolicy, user, [mirror, teamA])).toStrictEqual([
      { requested: mirror, granted: ['pull'], matchedBy: ['user ci'], denyReason: 'user ci is not granted push on mirror/nginx (allowed: pull)' },
      { requested: teamA, granted: [], matchedBy: [], denyReason: 'no grant for user ci matches repository team-a/app' },
    ]);
  });

  it('gives a role session the grants of its own role only, whatever its position in the policy', () => {
    const requested = parseScope('repository:shared/x:delete,pull,push');
    expect(evaluate(objectPolicy, { kind: 'role', role: 'writer', namespace: 'ns-w', name: 'deployer' }, [requested])).toStrictEqual([
      { requested, granted: ['pull', 'push'], matchedBy: ['role writer'], denyReason: 'role writer is not granted delete on shared/x (allowed: pull,push)' },
    ]);
    // The session's service account has subject grants on team-a; the session does not.
    const teamA = parseScope('repository:team-a/app:pull');
    expect(evaluate(objectPolicy, { kind: 'role', role: 'reader', namespace: 'team-a', name: 'builder' }, [teamA])).toStrictEqual([
      { requested: teamA, granted: [], matchedBy: [], denyReason: 'no grant for role reader matches repository team-a/app' },
    ]);
  });

  it('grants nothing to a session of a role the policy no longer defines', () => {
    const requested = parseScope('repository:shared/x:pull');
    expect(evaluate(objectPolicy, { kind: 'role', role: 'ghost', namespace: 'ns-a', name: 'ci' }, [requested])).toStrictEqual([
      { requested, granted: [], matchedBy: [], denyReason: 'no grant for role ghost matches repository shared/x' },
    ]);
  });
});

describe('subjects and trust', () => {
  it('matches a subject only when both the namespace and the service-account globs match', () => {
    const match = { namespace: 'team-*', serviceAccount: 'builder' };
    expect(subjectMatches(match, 'team-a', 'builder')).toBe(true);
    expect(subjectMatches(match, 'team-a', 'web')).toBe(false);
    expect(subjectMatches(match, 'other', 'builder')).toBe(false);
  });

  it('says exactly why a role may not be assumed, and hands back the role when it may', () => {
    expect(mayAssume(objectPolicy, 'ghost', 'ns-a', 'ci')).toStrictEqual({ allowed: false, reason: 'role "ghost" is not defined in the policy' });
    expect(mayAssume(objectPolicy, 'reader', 'ns-a', 'web')).toStrictEqual({ allowed: false, reason: 'role reader does not trust system:serviceaccount:ns-a:web' });
    // Any trust entry suffices: this one is the second, and a glob.
    const trusted = mayAssume(objectPolicy, 'reader', 'platform-eu', 'web');
    expect(trusted).toStrictEqual({ allowed: true, role: reader });
    expect(trusted.allowed && trusted.role).toBe(reader);
    expect(mayAssume(objectPolicy, 'writer', 'ns-w', 'deployer')).toStrictEqual({ allowed: true, role: writer });
    expect(mayAssume(objectPolicy, 'writer', 'ns-a', 'ci')).toStrictEqual({ allowed: false, reason: 'role writer does not trust system:serviceaccount:ns-a:ci' });
  });
});

describe('glob syntax', () => {
  it('lets ** cross segments in the middle of a glob and still requires what follows it', () => {
    expect(globMatch('shared/**/base', 'shared/x/base')).toBe(true);
    expect(globMatch('shared/**/base', 'shared/x/y/base')).toBe(true);
    expect(globMatch('shared/**/base', 'shared/x/database')).toBe(false);
    expect(globMatch('**/*', 'app')).toBe(false);
    expect(globMatch('**/*', 'team/app')).toBe(true);
  });

  it.each([
    ['.', 'team.a', 'teamxa'],
    ['+', 'a+b', 'aab'],
    ['?', 'a?b', 'ab'],
    ['( )', '(a)', 'a'],
    ['[ ]', '[ab]', 'a'],
    ['{ }', 'a{2}', 'aa'],
    ['$', 'a$b', 'ab'],
    ['^', 'b^a', 'ba'],
    ['|', 'a|b', 'a'],
    ['\\', 'a\\b', 'ab'],
  ])('takes the regex metacharacter %s literally', (_label, glob, unlike) => {
    expect(globMatch(glob, glob)).toBe(true);
    expect(globMatch(glob, unlike)).toBe(false);
  });

  it('matches the whole value, not a part of it', () => {
    expect(globMatch('team-a/*', 'x/team-a/app')).toBe(false);
    expect(globMatch('team-a', 'team-a2')).toBe(false);
    expect(globMatch('team-a', 'team-a\n')).toBe(false);
  });

  it('lets * and ** match a newline like any other character but /', () => {
    expect(globMatch('team-a/**', 'team-a/x\ny/z')).toBe(true);
    expect(globMatch('team-a/*', 'team-a/x\ny')).toBe(true);
    expect(globMatch('**', '\n')).toBe(true);
  });

  it('compiles each glob once and hands back the same RegExp', () => {
    const regex = globToRegExp('cache/*/a.b');
    expect(globToRegExp('cache/*/a.b')).toBe(regex);
    expect(globToRegExp('cache/**')).not.toBe(regex);
    expect(regex.flags).toBe('s');
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
