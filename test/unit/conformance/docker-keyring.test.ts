import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDockerConfigFieldAuth, parseDockerConfigJSON, pullSecretKeyring, PullSecretError, readNodeDockerConfig } from '../../../harness/conformance/docker-keyring.ts';
import { formatTrace, runConformance } from '../../../harness/conformance/index.ts';
import { isImageAllowed, BasicDockerKeyring } from '../../../harness/conformance/match-images.ts';
import { kubeletRules } from '../../../harness/conformance/kubelet-rules.ts';
import { planInvocation } from '../../../harness/conformance/provide.ts';

// k/k pkg/credentialprovider/config_test.go TestDecodeDockerConfigFieldAuth and
// TestDockerConfigEntryJSONDecode (find_string id 440252458), against config.go id 138981151.
describe('config.go decodeDockerConfigFieldAuth / DockerConfigEntry.UnmarshalJSON', () => {
  it('decodes base64(username:password), padded or not', () => {
    expect(decodeDockerConfigFieldAuth('Zm9vOmJhcg==')).toEqual({ username: 'foo', password: 'bar' });
    expect(decodeDockerConfigFieldAuth('Zm9vOmJhcg')).toEqual({ username: 'foo', password: 'bar' }); // RawStdEncoding
  });
  it('fails on base64 without a colon and on bad base64', () => {
    expect(() => decodeDockerConfigFieldAuth('cGFudHM=')).toThrow('unable to parse auth field, must be formatted as base64(username:password)');
    expect(() => decodeDockerConfigFieldAuth('pants')).toThrow(/^illegal base64 data at input byte/);
  });
  it('lets `auth` override username/password and type-checks every field', () => {
    expect(parseDockerConfigJSON('{"auths":{"r.io":{"username":"foo","password":"bar","auth":"cGluZzpwb25n","email":"foo@example.com"}}}')).toEqual([['r.io', { username: 'ping', password: 'pong' }]]);
    expect(() => parseDockerConfigJSON('{"auths":{"r.io":{"email":false}}}')).toThrow('json: cannot unmarshal boolean into Go struct field dockerConfigEntryWithAuth.email of type string');
  });
});

// secrets.go MakeDockerKeyring / secretsToTrackedDockerConfigs (stored id 292602277).
describe('pull-secret keyring (secrets.go)', () => {
  const json = (auths: Record<string, { username: string; password: string }>): string => JSON.stringify({ auths });
  it('is absent when no secret is usable (empty data is skipped)', () => {
    expect(pullSecretKeyring([{ name: 'empty', data: '' }])).toBeUndefined();
  });
  it('puts every secret in one keyring: the reverse-sorted index spans secrets', () => {
    const k = pullSecretKeyring([
      { name: 'a', namespace: 'ns', data: json({ 'r.io': { username: 'host', password: 'p' } }) },
      { name: 'b', namespace: 'ns', data: json({ 'r.io/team': { username: 'team', password: 'p' } }) },
    ]);
    expect(k?.lookup('r.io/team/app').map((m) => [m.value.secret, m.value.username])).toEqual([['ns/b', 'team'], ['ns/a', 'host']]);
  });
  it('fails the whole pull on a secret that does not decode', () => {
    expect(() => pullSecretKeyring([{ name: 'bad', namespace: 'ns', data: '{"auths":{"r.io":{"auth":"pants"}}}' }])).toThrow(PullSecretError);
  });
});

describe('strictIPLiteral is the kubelet release\'s, threaded through matching and keyrings', () => {
  it('a `[` in a host never matches with the Go >= 1.24.8 rule and reaches filepath.Match without it', () => {
    // keyring.go URLsMatch → filepath.Match("r[", "r[") is ErrBadPattern, still no match; but
    // `[a]` is a valid character class: only the older Go parses the host and matches.
    expect(isImageAllowed(['r[a].io'], 'ra.io', { strictIPLiteral: true })).toBe(false);
    expect(isImageAllowed(['r[a].io'], 'ra.io', { strictIPLiteral: false })).toBe(true);
    const legacy = new BasicDockerKeyring<string>({ strictIPLiteral: false });
    legacy.add([['r[a].io', 'v']]);
    expect(legacy.lookup('ra.io')).toEqual([{ key: 'r[a].io', value: 'v' }]);
    const strict = new BasicDockerKeyring<string>({ strictIPLiteral: true });
    strict.add([['r[a].io', 'v']]);
    expect(strict.lookup('ra.io')).toEqual([]);
  });
  it('planInvocation asks the rules, which pin it on for every minor', () => {
    const p = { name: 'p', matchImages: ['r[a].io'], defaultCacheDuration: 60e9, apiVersion: 'credentialprovider.kubelet.k8s.io/v1', args: [], env: [], tokenAttributes: undefined };
    const pod = { namespace: 'ns', podName: 'p', podUid: 'u', serviceAccountName: '', serviceAccountUid: 'x', serviceAccountAnnotations: {} };
    for (const minor of ['1.33', '1.34', '1.35', '1.36', '1.37']) expect(kubeletRules(minor).strictIPLiteral).toBe(true);
    expect(planInvocation(p, 'ra.io', pod, kubeletRules('1.34')).invoke).toBe(false);
    expect(planInvocation(p, 'ra.io', pod, { ...kubeletRules('1.34'), strictIPLiteral: false }).invoke).toBe(true);
  });
});

// image_manager.go: MakeDockerKeyring(pullSecrets, UnionDockerKeyring{nodeKeyring, providers})
// (find_string ids 274698041, 680658890) → pull secrets, node config.json, providers.
describe('runConformance: the three keyrings in kubelet\'s order', () => {
  let dir: string;
  let cfg: string;
  const HOST = 'registry.pullproof.test:5000';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pullproof-keyrings-'));
    const plugin = join(dir, 'static');
    await writeFile(plugin, `#!/bin/sh\ncat >/dev/null; echo '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheKeyType":"Registry","auth":{"${HOST}":{"username":"from-plugin","password":"plugin-secret-pw"}}}'\n`);
    await chmod(plugin, 0o755);
    cfg = join(dir, 'config.yaml');
    await writeFile(cfg, `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- name: static\n  matchImages: ["${HOST}"]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n`);
    await writeFile(join(dir, 'node-config.json'), JSON.stringify({ auths: { [HOST]: { auth: Buffer.from('from-node:node-secret-pw').toString('base64') } } }));
    await writeFile(join(dir, 'broken.json'), '{not json');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const base = (): { binDir: string; image: string; kubernetes: string; pod: { namespace: string } } => ({ binDir: dir, image: `${HOST}/team-a/app:v1`, kubernetes: '1.34', pod: { namespace: 'team-a' } });

  it('tries pull secrets, then the node config.json, then the providers; the provider-only keyring is unchanged', async () => {
    const result = await runConformance({
      ...base(),
      config: cfg,
      pullSecrets: [{ name: 'regcred', namespace: 'team-a', data: JSON.stringify({ auths: { [`${HOST}/team-a`]: { username: 'from-secret', password: 'secret-pw' } } }) }],
      nodeDockerConfig: join(dir, 'node-config.json'),
    });
    expect(result.credentials.map((c) => [c.source, c.from, c.username])).toEqual([
      ['pull-secret', 'team-a/regcred', 'from-secret'],
      ['node-config', join(dir, 'node-config.json'), 'from-node'],
      ['provider', 'static', 'from-plugin'],
    ]);
    expect(result.keyring).toEqual([{ provider: 'static', key: HOST, username: 'from-plugin' }]);
    expect(result.secretCredentials.map((c) => c.password)).toEqual(['secret-pw', 'node-secret-pw', 'plugin-secret-pw']);
    const trace = formatTrace(result);
    expect(trace).toContain('in order (pull secrets, then node config.json, then providers):');
    expect(trace).toContain(`  pull secret team-a/regcred key "${HOST}/team-a" username="from-secret"`);
    for (const pw of ['secret-pw', 'node-secret-pw', 'plugin-secret-pw']) expect(JSON.stringify(result) + trace).not.toContain(pw);
  });

  it('ignores an unreadable node config.json as kubelet does (logged at -v=4 only) and says so in the trace', async () => {
    const result = await runConformance({ ...base(), config: cfg, nodeDockerConfig: join(dir, 'broken.json') });
    expect(result.nodeConfig).toMatchObject({ status: 'ignored', entries: 0 });
    expect(result.credentials.map((c) => c.source)).toEqual(['provider']);
    expect(formatTrace(result)).toMatch(/node config\.json: .*broken\.json \(ignored — error occurred while trying to unmarshal json/);
    expect((await readNodeDockerConfig(join(dir, 'absent.json'))).status).toBe('missing');
  });

  it('does not run any provider when a pull secret cannot be decoded', async () => {
    await expect(runConformance({ ...base(), config: cfg, pullSecrets: [{ name: 'bad', namespace: 'team-a', data: '{"auths":{"x":{"auth":"cGFudHM="}}}' }] })).rejects.toMatchObject({
      name: 'PullSecretError',
      kubeletMessage: 'unable to parse auth field, must be formatted as base64(username:password)',
    });
  });
});
