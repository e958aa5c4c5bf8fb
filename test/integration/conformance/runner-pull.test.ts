import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultContainerdAddress, formatTrace, runConformance, type ConformanceResult } from '../../../harness/conformance/index.ts';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';
import { buildProviderBundle } from '../../../provider/index.ts';
import { busyboxImage, parsePolicyYaml, pushImage, registryAuthFor, startRegistry, startTokenService, uniqueTag, type StartedRegistry, type TokenService } from '../../../registry/index.ts';
import { describeWithDocker } from '../../support/docker.ts';

// The plugin depth end to end: real registry container with token auth, the real token service,
// our bundled plugin executed as kubelet would, and real containerd (`ctr`) pulling with the result.
const CONTAINERD = defaultContainerdAddress();
const AUDIENCE = 'pullproof-registry';
const ROLE_ANNOTATION = 'pullproof.dev/role';
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'pullproof.mjs');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const POLICY = parsePolicyYaml(
  `
subjects:
  - name: team-a builder pulls team-a
    match: { namespace: team-a, serviceAccount: builder }
    grants:
      - repositories: ["team-a/*"]
        actions: [pull]
roles:
  - name: team-a-pull
    trust: [{ namespace: team-a, serviceAccount: builder }]
    grants:
      - repositories: ["team-a/*"]
        actions: [pull]
`,
  'test/integration/conformance/runner-pull.test.ts',
);

describeWithDocker('conformance runner: our plugin, real registry + token service, real containerd pulls', () => {
  let root: string;
  let binDir: string;
  let service: TokenService;
  let registry: StartedRegistry;
  let issuer: LocalServiceAccountIssuer;
  let image: string;
  const minted: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CONTAINERD)) throw new Error(`containerd socket ${CONTAINERD} not found: start dockerd (its containerd) or set PULLPROOF_CONTAINERD_ADDRESS`);
    root = await mkdtemp(join(tmpdir(), 'pullproof-conformance-it-'));
    const bundle = await buildProviderBundle({ outDir: join(root, 'provider'), providerName: ['pullproof-passthrough', 'pullproof-exchange'] });
    binDir = bundle.binDir;
    issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
    const admin = { username: `admin-${randomBytes(3).toString('hex')}`, password: randomBytes(18).toString('base64url') };
    service = await startTokenService({ service: 'pullproof-conformance-registry', admin, policy: POLICY, serviceAccountAudience: AUDIENCE, serviceAccountIssuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }] });
    registry = await startRegistry({ auth: registryAuthFor(service), name: `pullproof-conformance-registry-${randomBytes(3).toString('hex')}` });
    const pushed = await pushImage({ registryUrl: registry.url, repository: 'team-a/app', tag: uniqueTag('conformance'), image: await busyboxImage(), credentials: admin });
    image = pushed.reference;
  });

  afterAll(async () => {
    await registry?.stop();
    await service?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function configFile(name: string, providerName: string, args: string[], cacheType: string): Promise<string> {
    const path = join(root, `${name}.yaml`);
    await writeFile(
      path,
      `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: ${providerName}
    matchImages: ["${registry.host}"]
    defaultCacheDuration: 5m
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: ${JSON.stringify(args)}
    tokenAttributes:
      serviceAccountTokenAudience: ${AUDIENCE}
      cacheType: ${cacheType}
      requireServiceAccount: true
      requiredServiceAccountAnnotationKeys: ["${ROLE_ANNOTATION}"]
`,
    );
    return path;
  }

  const exchangeArgs = (): string[] => ['--mode', 'exchange', '--exchange-url', service.baseUrl, '--role-annotation', ROLE_ANNOTATION];
  const passthroughArgs = ['--mode', 'passthrough'];

  async function run(config: string, namespace: string, serviceAccountName: string, annotations: Record<string, string>, kubernetes = '1.34'): Promise<ConformanceResult> {
    const result = await runConformance({
      config,
      binDir,
      image,
      kubernetes,
      featureGates: { KubeletServiceAccountTokenForCredentialProviders: true },
      pod: { namespace, serviceAccountName, serviceAccountAnnotations: annotations },
      tokenSource: { mint: async (o) => minted[minted.push(await issuer.mint(o)) - 1] ?? '' },
      pull: { address: CONTAINERD, plainHttp: true },
    });
    // Nothing secret in anything a person or a report would see.
    const visible = `${JSON.stringify(result)}\n${formatTrace(result)}`;
    for (const secret of [...minted, ...result.secretCredentials.map((c) => c.password)]) expect(visible).not.toContain(secret);
    return result;
  }

  it('passthrough (cacheType Token): the allowed service account pulls, and the containerd namespace is removed afterwards', async () => {
    const result = await run(await configFile('pt-token', 'pullproof-passthrough', passthroughArgs, 'Token'), 'team-a', 'builder', { [ROLE_ANNOTATION]: 'team-a-pull' });
    expect(result.providers[0]?.verdict?.accepted).toBe(true);
    expect(result.pull?.outcome).toBe('pulled');
    const namespaces = execFileSync('ctr', ['--address', CONTAINERD, 'namespaces', 'ls', '-q']).toString();
    expect(namespaces.split('\n')).not.toContain(result.pull?.namespace);
  });

  it('passthrough: a service account the policy does not list is denied by the registry', async () => {
    const result = await run(await configFile('pt-token-2', 'pullproof-passthrough', passthroughArgs, 'Token'), 'team-a', 'intruder', { [ROLE_ANNOTATION]: 'team-a-pull' });
    expect(result.decision).toBe('pull-with-credentials');
    expect(result.pull?.outcome).toBe('denied');
    expect(result.pull?.message).toMatch(/denied|unauthorized|authorization|insufficient_scope|401|403/i);
  });

  it('exchange (cacheType ServiceAccount): the trusted service account pulls with the short-lived credential', async () => {
    const result = await run(await configFile('xchg', 'pullproof-exchange', exchangeArgs(), 'ServiceAccount'), 'team-a', 'builder', { [ROLE_ANNOTATION]: 'team-a-pull' });
    expect(result.keyring[0]?.username).toMatch(/^pullproof-role\.team-a-pull\./);
    expect(result.pull?.outcome).toBe('pulled');
  });

  it('exchange: an untrusted service account gets 403 from the exchange, no credentials, and an anonymous pull that is denied', async () => {
    const result = await run(await configFile('xchg-2', 'pullproof-exchange', exchangeArgs(), 'ServiceAccount'), 'team-b', 'builder', { [ROLE_ANNOTATION]: 'team-a-pull' });
    expect(result.providers[0]?.failure?.kubeletLog).toMatch(/exit status 1: pullproof-credential-provider: exchange endpoint .* denied the role \(403 access_denied/);
    expect(result.decision).toBe('pull-anonymously');
    expect(result.pull?.attempts).toEqual([expect.objectContaining({ credentialSource: undefined, ok: false })]);
    expect(result.pull?.outcome).toBe('denied');
  });

  it('a missing required annotation means the plugin is not invoked and the anonymous pull is denied', async () => {
    const result = await run(await configFile('xchg-3', 'pullproof-exchange', exchangeArgs(), 'ServiceAccount'), 'team-a', 'builder', {});
    expect(result.providers[0]?.plan).toMatchObject({ invoke: false, reason: 'required-annotation-missing' });
    expect(result.providers[0]?.execution).toBeUndefined();
    expect(result.pull?.outcome).toBe('denied');
  });

  it('passthrough with cacheType ServiceAccount on 1.34 rules: kubelet drops the echoed token, the pull is anonymous and denied', async () => {
    const result = await run(await configFile('pt-sa', 'pullproof-passthrough', passthroughArgs, 'ServiceAccount'), 'team-a', 'builder', { [ROLE_ANNOTATION]: 'team-a-pull' });
    expect(result.providers[0]?.verdict).toMatchObject({ accepted: false, reason: 'token-echoed' });
    expect(result.decision).toBe('pull-anonymously');
    expect(result.pull?.outcome).toBe('denied');
  });

  it('passthrough on 1.33 rules (no cacheType, gate on): no echo check, so the same plugin pulls', async () => {
    const path = join(root, 'pt-133.yaml');
    await writeFile(path, `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: pullproof-passthrough
    matchImages: ["${registry.host}"]
    defaultCacheDuration: 5m
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: ["--mode", "passthrough"]
    tokenAttributes:
      serviceAccountTokenAudience: ${AUDIENCE}
      requireServiceAccount: true
`);
    const result = await run(path, 'team-a', 'builder', {}, '1.33');
    expect(result.kubernetes.rejectEchoedToken).toBe(false);
    expect(result.providers[0]?.verdict?.accepted).toBe(true);
    expect(result.pull?.outcome).toBe('pulled');
  });

  it('npx pullproof conformance prints a readable trace: provider, redacted request, response, cache key, pull result', async () => {
    // The CLI mints with its own issuer and serves its discovery; the token service trusts that URL.
    const port = await freePort();
    service.trustIssuer({ issuer: `http://127.0.0.1:${port}` });
    const config = await configFile('cli', 'pullproof-exchange', exchangeArgs(), 'ServiceAccount');
    // Asynchronously: the token service answering the plugin lives in this very process.
    const cli = await execa(process.execPath, [CLI, 'conformance', '--config', config, '--bin-dir', binDir, '--image', image, '--k8s', '1.34', '--namespace', 'team-a', '--service-account', 'builder',
      '--annotation', `${ROLE_ANNOTATION}=team-a-pull`, '--serve-discovery', `127.0.0.1:${port}`, '--pull', '--plain-http', '--containerd-address', CONTAINERD], { reject: false, timeout: 90_000 });
    expect(cli.stderr).toBe('');
    expect(cli.exitCode).toBe(0);
    const trace = cli.stdout;
    expect(trace).toContain('kubelet 1.34 rules');
    expect(trace).toContain('provider pullproof-exchange (credentialprovider.kubelet.k8s.io/v1)');
    expect(trace).toMatch(/request \(stdin\): \{"kind":"CredentialProviderRequest",.*"serviceAccountToken":"<redacted sha256:[0-9a-f]{12}…>"/);
    // The plugin's cacheDuration as it wrote it (a Go duration string, e.g. 14m29s).
    expect(trace).toMatch(/response: cacheKeyType="Registry" cacheDuration=(\d+h)?(\d+m)?\d+s/);
    expect(trace).toMatch(/repository kubelet looks up: 127\.0\.0\.1:\d+\/team-a\/app \(/);
    expect(trace).toMatch(/password=<redacted>/);
    expect(trace).toMatch(/cache: \d+m\d+s under key \[base="127\.0\.0\.1:\d+", namespace=team-a, serviceAccount=builder/);
    expect(trace).toContain('pull: PULLED');
    expect(trace).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(trace).not.toMatch(/ppx_/);
  });
});
