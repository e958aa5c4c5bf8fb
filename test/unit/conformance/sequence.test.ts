import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSequence, runPullSequence, runConformance, type SequencePull } from '../../../harness/conformance/index.ts';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';

// A pull sequence on one kubelet: the cache decides exec vs reuse (k/k plugin.go provide /
// getCachedCredentials). Plugins are small /bin/sh scripts that print a fixed response.
let dir: string;
let issuer: LocalServiceAccountIssuer;

async function shPlugin(name: string, cacheKeyType: string, cacheDuration: string): Promise<string> {
  await writeFile(join(dir, name), `#!/bin/sh\ncat >/dev/null\necho '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheKeyType":"${cacheKeyType}","cacheDuration":"${cacheDuration}","auth":{"r.io":{"username":"u","password":"p"}}}'\n`);
  await chmod(join(dir, name), 0o755);
  const config = join(dir, `${name}.yaml`);
  await writeFile(config, `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- name: ${name}\n  matchImages: ["r.io", "docker.io"]\n  defaultCacheDuration: 10m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n`);
  return config;
}

const pull = (image: string, atMs: number, over: Partial<SequencePull> = {}): SequencePull => ({ image, namespace: 'ns', serviceAccount: '', podName: 'p', serviceAccountAnnotations: {}, atMs, ...over });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pullproof-seq-'));
  issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pull sequences through kubelet\'s credential cache', () => {
  it('a Registry entry made for one image serves another image of that registry, until it expires', async () => {
    const config = await shPlugin('reg', 'Registry', '5m');
    const steps = await runPullSequence({ config, binDir: dir, kubernetes: '1.34', tokenSource: issuer, pulls: [pull('r.io/a:v1', 0), pull('r.io/b:v1', 60_000, { podName: 'q' }), pull('r.io/b:v1', 6 * 60_000)] });
    expect(steps.map((s) => s.result.providers[0]?.cache?.decision)).toEqual(['miss', 'hit', 'miss']);
    expect(steps[1]?.reuse.map((r) => [r.provider, r.origin.pull, r.origin.image, r.across])).toEqual([['reg', 0, 'r.io/a', ['pod', 'image']]]);
    expect(steps[2]?.result.providers[0]?.cache?.tried[1]).toEqual({ baseKey: 'r.io', result: 'expired' });
    expect(formatSequence(steps)).toContain('cache HIT under Registry key "r.io"');
  });
  it('a negative cacheDuration is stored already expired: the next pull executes again', async () => {
    const config = await shPlugin('neg', 'Image', '-1m');
    const steps = await runPullSequence({ config, binDir: dir, kubernetes: '1.34', tokenSource: issuer, pulls: [pull('r.io/a:v1', 0), pull('r.io/a:v1', 0)] });
    expect(steps[0]?.result.providers[0]?.cache?.stored?.expiredOnArrival).toBe(true);
    expect(steps[1]?.result.providers[0]?.cache?.decision).toBe('miss');
  });
  it('0.5ns truncates to 0: not cached', async () => {
    const config = await shPlugin('half', 'Image', '0.5ns');
    const steps = await runPullSequence({ config, binDir: dir, kubernetes: '1.34', tokenSource: issuer, pulls: [pull('r.io/a:v1', 0), pull('r.io/a:v1', 0)] });
    expect(steps[0]?.result.providers[0]?.cache?.stored).toBeUndefined();
    expect(steps[1]?.result.providers[0]?.cache?.decision).toBe('miss');
  });
  it('the plugin sees the normalised repository: nginx:1.25 is docker.io/library/nginx, the pull keeps the tag', async () => {
    const config = await shPlugin('hub', 'Image', '1m');
    const result = await runConformance({ config, binDir: dir, image: 'nginx:1.25', kubernetes: '1.34', pod: { namespace: 'ns' }, tokenSource: issuer });
    expect(result.repository).toBe('docker.io/library/nginx');
    expect(result.image).toBe('nginx:1.25');
    expect(result.providers[0]?.request).toContain('"image":"docker.io/library/nginx"');
    expect(result.providers[0]?.verdict).toMatchObject({ accepted: true, cache: { baseKey: 'docker.io/library/nginx' } });
  });
});
