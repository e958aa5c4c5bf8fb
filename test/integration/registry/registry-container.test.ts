import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';
import { busyboxImage, pushImage, registryAuthFor, startRegistry, startTokenService, uniqueTag, type StartedRegistry, type TokenService } from '../../../registry/index.ts';
import { describeWithDocker } from '../../support/docker.ts';
import { containerdUnavailableReason, ctrSession, type CtrSession } from '../../support/registry-ctr.ts';
import { randomAdmin, SA_AUDIENCE, TEST_POLICY } from '../../support/registry-fixtures.ts';

// The registry as the kind tier starts it: on a named Docker network with an alias, the token
// service advertising a realm that differs from its listen address, RS256 signing this time.

describeWithDocker('registry container on a network, RS256 tokens, advertised realm', () => {
  const network = `pullproof-net-${randomBytes(4).toString('hex')}`;
  const alias = `pullproof-registry-${randomBytes(3).toString('hex')}`;
  const admin = randomAdmin();
  let networkCreated = false;
  let issuer: LocalServiceAccountIssuer;
  let service: TokenService;
  let registry: StartedRegistry;
  let ctr: CtrSession;

  beforeAll(async () => {
    const missing = containerdUnavailableReason();
    if (missing) throw new Error(`these tests pull with real containerd: ${missing}`);
    await execa('docker', ['network', 'create', '--label', 'org.pullproof.component=test', network]);
    networkCreated = true;
    issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
    // Listen on loopback but advertise a base with a path prefix, as the kind tier advertises the gateway.
    service = await startTokenService({
      listen: { host: '127.0.0.1', port: 0 },
      publicBaseUrl: 'http://127.0.0.1:0/auth',
      service: 'pullproof-net-registry',
      admin,
      policy: TEST_POLICY,
      signingAlgorithm: 'RS256',
      serviceAccountIssuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }],
    });
    ctr = ctrSession();
    // The advertised realm must be reachable by the puller; here that is this host on the listen port.
    const reachable = { ...registryAuthFor(service), realm: `http://127.0.0.1:${service.address.port}/auth/token` };
    registry = await startRegistry({ auth: reachable, network, alias });
  });

  afterAll(async () => {
    await ctr?.cleanup();
    await registry?.stop();
    await service?.close();
    if (networkCreated) await execa('docker', ['network', 'rm', network], { reject: false });
  });

  it('derives realm and exchange URL from the advertised base, not the listen address', () => {
    expect(service.realm).toBe('http://127.0.0.1:0/auth/token');
    expect(service.exchangeUrl).toBe('http://127.0.0.1:0/auth/exchange');
    expect(service.address.port).toBeGreaterThan(0);
  });

  it('serves the token endpoint under the advertised path prefix only', async () => {
    const base = `http://127.0.0.1:${service.address.port}`;
    expect((await fetch(`${base}/token?service=pullproof-net-registry`)).status).toBe(404);
    expect((await fetch(`${base}/auth/token?service=pullproof-net-registry`)).status).toBe(401);
  });

  it('joins the network under its alias and publishes its port on 127.0.0.1 only', async () => {
    const inspect = await execa('docker', ['inspect', registry.containerName, '--format', '{{json .}}']);
    const info = JSON.parse(inspect.stdout) as {
      NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
      HostConfig: { PortBindings: Record<string, { HostIp: string }[]>; Tmpfs: Record<string, string> };
    };
    expect(info.NetworkSettings.Networks[network]?.Aliases).toContain(alias);
    expect(Object.values(info.HostConfig.PortBindings).flat().map((binding) => binding.HostIp)).toEqual(['127.0.0.1']);
    expect(Object.keys(info.HostConfig.Tmpfs)).toContain('/var/lib/registry');
    expect(registry.networkHost).toBe(`${alias}:5000`);
  });

  it('accepts RS256 x5c-signed tokens: the admin pushes and a granted service account pulls with containerd', async () => {
    const tag = uniqueTag('rs256');
    await pushImage({ registryUrl: registry.url, repository: 'team-a/app', tag, image: await busyboxImage(), credentials: admin });
    const token = await issuer.mint({ namespace: 'team-a', serviceAccountName: 'web', audience: SA_AUDIENCE });
    const result = await ctr.pull(`${registry.host}/team-a/app:${tag}`, { username: 'web', password: token });
    // ctr reports a failed pull as a final "ctr: …" line; logrus lines such as level=error msg="failed to get content info" error="context canceled" also appear on successful pulls.
    expect(result.stderr).not.toMatch(/^ctr: /m);
    expect(result.ok, result.stderr).toBe(true);
    expect(await registry.logs()).toMatch(/authorized request/);
  });
});
