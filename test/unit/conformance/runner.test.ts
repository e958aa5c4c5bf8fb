import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTrace, runConformance, type ConformanceOptions, type ConformanceResult } from '../../../harness/conformance/index.ts';
import { KubeletConfigRejectedError } from '../../../harness/conformance/runner.ts';
import { PluginRegistrationError } from '../../../harness/conformance/exec-plugin.ts';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';
import { buildProviderBundle } from '../../../provider/index.ts';

// The runner end to end without Docker: our bundled plugin and small /bin/sh plugins, a loopback
// exchange stub, no pull. The pull edge is covered by test/integration/conformance.
const HOST = 'registry.pullproof.test:5000';
const IMAGE = `${HOST}/team-a/app:v1`;
// What kubelet resolves credentials for: ParseImageName(IMAGE)'s repository (tag stripped).
const REPO = `${HOST}/team-a/app`;
const V1 = 'credentialprovider.kubelet.k8s.io/v1';

let root: string;
let binDir: string;
let exchange: Server;
let exchangeUrl: string;
let issuer: LocalServiceAccountIssuer;
const minted: string[] = [];

async function shPlugin(name: string, body: string): Promise<void> {
  const path = join(binDir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
}

async function config(name: string, providers: string, version = 'v1'): Promise<string> {
  const path = join(root, `${name}.yaml`);
  await writeFile(path, `apiVersion: kubelet.config.k8s.io/${version}\nkind: CredentialProviderConfig\nproviders:\n${providers}`);
  return path;
}

const provider = (name: string, extra = '', tokenAttributes = ''): string =>
  `- name: ${name}\n  matchImages: ["${HOST}"]\n  defaultCacheDuration: 10m\n  apiVersion: ${V1}\n${extra}${tokenAttributes}`;
const tokenAttrs = (cacheType: string | undefined, required = ['pullproof.dev/role']): string =>
  `  tokenAttributes:\n    serviceAccountTokenAudience: pullproof-registry\n    requireServiceAccount: true\n${cacheType ? `    cacheType: ${cacheType}\n` : ''}${required.length ? `    requiredServiceAccountAnnotationKeys: [${required.join(', ')}]\n` : ''}`;

const tokenSource = {
  mint: async (o: Parameters<LocalServiceAccountIssuer['mint']>[0]): Promise<string> => {
    const t = await issuer.mint(o);
    minted.push(t);
    return t;
  },
};

function run(over: Partial<ConformanceOptions> & { config: string }): Promise<ConformanceResult> {
  return runConformance({
    binDir,
    image: IMAGE,
    kubernetes: '1.34',
    pod: { namespace: 'team-a', serviceAccountName: 'builder', serviceAccountAnnotations: { 'pullproof.dev/role': 'team-a-pull', 'unlisted.io/key': 'x' } },
    tokenSource,
    ...over,
  });
}

function expectNoSecrets(result: ConformanceResult, secrets: readonly string[]): void {
  const outputs = [JSON.stringify(result), formatTrace(result)];
  for (const secret of [...minted, ...secrets]) for (const out of outputs) expect(out).not.toContain(secret);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pullproof-runner-'));
  const bundle = await buildProviderBundle({ outDir: join(root, 'bundle'), providerName: ['pullproof-passthrough', 'pullproof-exchange'] });
  binDir = bundle.binDir;
  await mkdir(binDir, { recursive: true });
  issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
  exchange = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { role } = JSON.parse(body) as { role: string };
      res.writeHead(role === 'team-a-pull' ? 200 : 403, { 'content-type': 'application/json' });
      res.end(role === 'team-a-pull' ? JSON.stringify({ username: 'xchg', password: 'exchanged-password-123', expiresInSeconds: 600, expiresAt: new Date(Date.now() + 600_000).toISOString() }) : JSON.stringify({ error: 'access_denied', detail: 'role not trusted' }));
    });
  });
  await new Promise<void>((r) => exchange.listen(0, '127.0.0.1', r));
  exchangeUrl = `http://127.0.0.1:${(exchange.address() as AddressInfo).port}`;
});

afterAll(async () => {
  exchange.closeAllConnections();
  await new Promise<void>((r) => exchange.close(() => r()));
  await rm(root, { recursive: true, force: true });
});

describe('runConformance with our plugin', () => {
  it('passthrough with cacheType Token: credentials used, keyed per token hash, nothing secret in the trace', async () => {
    const result = await run({ config: await config('pt-token', provider('pullproof-passthrough', '  args: ["--mode", "passthrough"]\n', tokenAttrs('Token'))) });
    const [trace] = result.providers;
    expect(trace?.plan).toEqual({ invoke: true, audience: 'pullproof-registry', annotations: { 'pullproof.dev/role': 'team-a-pull' }, serviceAccountMode: true });
    expect(trace?.request).toMatch(/"serviceAccountToken":"<redacted sha256:[0-9a-f]{12}…>"/);
    expect(trace?.request).not.toContain('unlisted.io/key');
    expect(trace?.verdict).toMatchObject({ accepted: true });
    expect(result.decision).toBe('pull-with-credentials');
    expect(result.keyring).toEqual([{ provider: 'pullproof-passthrough', key: HOST, username: 'pullproof-sa' }]);
    expect(result.secretCredentials[0]?.password).toBe(minted.at(-1));
    expect(formatTrace(result)).toContain('token=sha256:');
    expectNoSecrets(result, []);
  });

  it('passthrough with cacheType ServiceAccount on v1.34: kubelet drops the echoed token', async () => {
    const result = await run({ config: await config('pt-sa', provider('pullproof-passthrough', '  args: ["--mode", "passthrough"]\n', tokenAttrs('ServiceAccount'))) });
    expect(result.providers[0]?.verdict).toEqual({
      accepted: false,
      reason: 'token-echoed',
      kubeletLog: `Credential provider plugin returned the service account token as the password for image "${REPO}", which is not allowed when service account cache type is not set to 'Token'`,
    });
    expect(result.decision).toBe('pull-anonymously');
    expectNoSecrets(result, []);
  });

  it('exchange: the short-lived credential is used, cached for TTL minus margin per service account', async () => {
    const result = await run({ config: await config('xchg', provider('pullproof-exchange', `  args: ["--mode", "exchange", "--exchange-url", "${exchangeUrl}"]\n`, tokenAttrs('ServiceAccount'))) });
    const verdict = result.providers[0]?.verdict;
    expect(verdict?.accepted).toBe(true);
    if (verdict?.accepted) {
      expect(verdict.cache.cacheKeyType).toBe('Registry');
      expect(verdict.cache.keyParts).not.toContainEqual(expect.stringMatching(/^token=/));
      expect(verdict.cache.durationNs).toBeGreaterThanOrEqual(560e9);
    }
    expect(result.keyring).toEqual([{ provider: 'pullproof-exchange', key: HOST, username: 'xchg' }]);
    expectNoSecrets(result, ['exchanged-password-123']);
  });

  it('a missing required annotation means the plugin is not invoked (anonymous pull)', async () => {
    const result = await run({
      config: await config('xchg-missing', provider('pullproof-exchange', `  args: ["--mode", "exchange", "--exchange-url", "${exchangeUrl}"]\n`, tokenAttrs('ServiceAccount'))),
      pod: { namespace: 'team-a', serviceAccountName: 'builder', serviceAccountAnnotations: {} },
    });
    expect(result.providers[0]?.plan).toMatchObject({ invoke: false, reason: 'required-annotation-missing' });
    expect(result.providers[0]?.execution).toBeUndefined();
    expect(result.decision).toBe('pull-anonymously');
  });

  it('a plugin failure (403 from the exchange) becomes kubelet\'s exec error with the plugin\'s stderr', async () => {
    const result = await run({
      config: await config('xchg-denied', provider('pullproof-exchange', `  args: ["--mode", "exchange", "--exchange-url", "${exchangeUrl}"]\n`, tokenAttrs('ServiceAccount'))),
      pod: { namespace: 'team-a', serviceAccountName: 'builder', serviceAccountAnnotations: { 'pullproof.dev/role': 'other' } },
    });
    expect(result.providers[0]?.failure?.kubeletLog).toMatch(
      /^Failed getting credential from external registry credential provider: error execing credential provider plugin pullproof-exchange for image registry\.pullproof\.test:5000\/team-a\/app: exit status 1: pullproof-credential-provider: exchange endpoint .* denied the role \(403 access_denied: role not trusted\)/,
    );
    expect(result.decision).toBe('pull-anonymously');
    expectNoSecrets(result, []);
  });
});

describe('runConformance with any plugin (exec exactly as kubelet)', () => {
  it('passes host env then config env (config wins) and args', async () => {
    await shPlugin('env-echo', `cat >/dev/null; printf '{"apiVersion":"${V1}","kind":"CredentialProviderResponse","cacheKeyType":"Image","auth":{"${HOST}":{"username":"%s-%s-%s","password":"p"}}}' "$MODE" "$HOST_ONLY" "$1"`);
    const result = await run({
      config: await config('env', provider('env-echo', '  args: ["first-arg"]\n  env:\n  - name: MODE\n    value: from-config\n')),
      hostEnv: { MODE: 'from-host', HOST_ONLY: 'host', PATH: process.env.PATH },
    });
    expect(result.keyring[0]?.username).toBe('from-config-host-first-arg');
    const verdict = result.providers[0]?.verdict;
    expect(verdict?.accepted && verdict.cache.baseKey).toBe(REPO);
  });

  it('never shows the token, even when a plugin prints its stdin to stderr and stdout', async () => {
    await shPlugin('leaky', 'in=$(cat); echo "$in" >&2; echo "$in"; exit 1');
    const result = await run({ config: await config('leaky', provider('leaky', '', tokenAttrs('Token', []))) });
    expect(result.providers[0]?.failure?.kubeletLog).toMatch(/exit status 1: .*"serviceAccountToken":"<redacted>"/);
    expectNoSecrets(result, []);
  });

  it('kills a plugin at the timeout with kubelet\'s "context deadline exceeded"', async () => {
    await shPlugin('sleepy', 'exec sleep 5');
    const result = await run({ config: await config('sleepy', provider('sleepy')), timeoutMs: 300 });
    expect(result.providers[0]?.execution?.timedOut).toBe(true);
    expect(result.providers[0]?.failure?.kubeletLog).toBe(
      `Failed getting credential from external registry credential provider: error execing credential provider plugin sleepy for image ${REPO}: context deadline exceeded: `,
    );
  });

  it('drops a response in another apiVersion and one with an invalid cacheKeyType', async () => {
    await shPlugin('beta-answer', `cat >/dev/null; echo '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","kind":"CredentialProviderResponse","cacheKeyType":"Image"}'`);
    await shPlugin('bad-keytype', `cat >/dev/null; echo '{"apiVersion":"${V1}","kind":"CredentialProviderResponse","cacheKeyType":"Pod","auth":{"${HOST}":{"username":"u","password":"p"}}}'`);
    const result = await run({ config: await config('bad', provider('beta-answer') + provider('bad-keytype')) });
    expect(result.providers[0]?.failure?.kubeletLog).toBe(
      `Failed getting credential from external registry credential provider: apiVersion from credential plugin response did not match expected apiVersion:${V1}, actual apiVersion:credentialprovider.kubelet.k8s.io/v1beta1`,
    );
    expect(result.providers[1]?.verdict).toMatchObject({ accepted: false, kubeletLog: 'credential provider plugin did not return a valid cacheKeyType: "Pod"' });
    expect(result.decision).toBe('pull-anonymously');
  });

  it('combines several providers: earlier provider first for the same key', async () => {
    await shPlugin('first', `cat >/dev/null; echo '{"apiVersion":"${V1}","kind":"CredentialProviderResponse","cacheKeyType":"Registry","auth":{"${HOST}":{"username":"one","password":"p1"}}}'`);
    await shPlugin('second', `cat >/dev/null; echo '{"apiVersion":"${V1}","kind":"CredentialProviderResponse","cacheKeyType":"Registry","auth":{"${HOST}/team-a":{"username":"two","password":"p2"},"${HOST}":{"username":"three","password":"p3"}}}'`);
    const result = await run({ config: await config('multi', provider('first') + provider('second')) });
    // reverse-sorted index: the longer team-a key first, then the host key with both providers' entries.
    expect(result.keyring.map((k) => k.username)).toEqual(['two', 'one', 'three']);
  });

  it('refuses to start like kubelet on an invalid config or a missing plugin executable', async () => {
    const invalid = await config('invalid', provider('pullproof-passthrough', '', tokenAttrs(undefined)));
    await expect(run({ config: invalid })).rejects.toBeInstanceOf(KubeletConfigRejectedError);
    const missing = await config('missing', provider('not-there'));
    const error = await run({ config: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginRegistrationError);
    expect((error as PluginRegistrationError).kubeletMessage).toBe('plugin binary executable  did not exist');
    await expect(run({ config: missing, binDir: join(root, 'nope') })).rejects.toThrow(`plugin binary directory ${join(root, 'nope')} did not exist`);
  });
});
