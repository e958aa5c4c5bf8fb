import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Cluster, type ClusterServices, createCluster } from '../../../harness/cluster/lifecycle.ts';
import { bundleNodeRunner, installNodeRunner, runConformanceInNode } from '../../../harness/cluster/node-runner.ts';
import { ensureStandinNodeImage } from '../../../harness/cluster/standin-image.ts';
import { buildProviderBundle } from '../../../provider/index.ts';
import {
  busyboxImage, parsePolicyYaml, pushImage, registryAuthFor, startRegistry, startTokenService, uniqueTag, type TokenService,
} from '../../../registry/index.ts';
import { describeWithDocker } from '../../support/docker.ts';
import { RUN_PREFIX, nodeIp, removeWorkDirs, standinSpec } from './standin-support.ts';

// Node depth end to end on a stand-in node: kind mounted our provider config + bundle and certs.d;
// inside the node the kubelet-exact runner execs our plugin with the bundled Node, the plugin's
// credentials go to the registry on the kind network, whose realm is the token service on the
// kind network's gateway; containerd in the node pulls (or is denied).
const AUDIENCE = 'pullproof-registry';
const MINOR = '1.35';
const POLICY = parsePolicyYaml(`
subjects:
  - name: team-a builder pulls team-a
    match: { namespace: team-a, serviceAccount: builder }
    grants:
      - repositories: ["team-a/*"]
        actions: [pull]
`, 'test/integration/cluster/standin-pull.test.ts');

describeWithDocker('stand-in node: our plugin inside a kind node, registry + token realm on the kind network, containerd pulls', () => {
  let cluster: Cluster | undefined;
  let service: TokenService | undefined;
  let image = '';
  let node = '';
  const alias = `${RUN_PREFIX}-registry`;

  beforeAll(async () => {
    const nodeImage = await ensureStandinNodeImage();
    const admin = { username: `admin-${randomBytes(3).toString('hex')}`, password: randomBytes(18).toString('base64url') };
    const spec = await standinSpec(nodeImage, MINOR, 'pull', {
      needs: { workers: 0, nodeImage },
      providers: [{
        name: 'pullproof-passthrough',
        matchImages: [`${alias}:5000`],
        defaultCacheDuration: '0s',
        args: ['--mode', 'passthrough'],
        tokenAttributes: { serviceAccountTokenAudience: AUDIENCE, cacheType: 'Token', requireServiceAccount: true },
      }],
    });
    cluster = await createCluster(spec, {
      startServices: async ({ network }): Promise<ClusterServices> => {
        // The realm must resolve from inside the nodes: listen on (and advertise) the kind gateway.
        service = await startTokenService({ listen: { host: network.gateway, port: 0 }, service: 'pullproof-standin-registry', admin, policy: POLICY, serviceAccountAudience: AUDIENCE });
        const svc = service;
        const registry = await startRegistry({ auth: registryAuthFor(svc), network: network.name, alias, name: alias });
        const pushed = await pushImage({ registryUrl: registry.url, repository: 'team-a/app', tag: uniqueTag('standin'), image: await busyboxImage(), credentials: admin });
        image = `${alias}:5000/team-a/app:${pushed.reference.split(':').at(-1) ?? ''}`;
        return {
          registries: [{ host: `${alias}:5000`, server: `http://${alias}:5000` }],
          stop: async () => { await registry.stop(); await svc.close(); },
        };
      },
      writeProviderBundle: async (dir) => { await buildProviderBundle({ outDir: dir, providerName: 'pullproof-passthrough' }); },
    }, { log: (l) => process.stderr.write(`${l}\n`) });
    node = cluster.nodes[0] ?? '';
    await installNodeRunner(node, await bundleNodeRunner());
  });

  afterAll(async () => {
    await cluster?.delete();
    await removeWorkDirs();
  });

  /** Runs the in-node runner as pod team-a/<sa>; its issuer serves discovery on the node's IP, which the token service trusts. */
  async function pullAs(serviceAccount: string) {
    const ip = await nodeIp(node);
    const port = 18000 + Math.floor(Math.random() * 1000);
    service?.trustIssuer({ issuer: `http://${ip}:${port}` });
    return runConformanceInNode(node, [
      '--image', image, '--k8s', MINOR, '--namespace', 'team-a', '--service-account', serviceAccount,
      '--serve-discovery', `${ip}:${port}`, '--pull', '--containerd-address', '/run/containerd/containerd.sock',
      '--hosts-dir', '/etc/containerd/certs.d', '--json',
    ]);
  }

  it('a granted service account pulls the private image through containerd in the node', async () => {
    const run = await pullAs('builder');
    expect(run.exitCode, run.stderr || run.stdout).toBe(0);
    const result = JSON.parse(run.stdout) as { decision: string; providers: { verdict?: { accepted: boolean } }[]; pull?: { outcome: string } };
    expect(result.providers[0]?.verdict?.accepted).toBe(true);
    expect(result.decision).toBe('pull-with-credentials');
    expect(result.pull?.outcome).toBe('pulled');
    // The token service saw the node's request for this service account and granted it.
    expect(service?.auditFor({ namespace: 'team-a', serviceAccount: 'builder' }).length).toBeGreaterThan(0);
  });

  it('an ungranted service account gets credentials from the plugin but containerd is denied by the registry', async () => {
    const run = await pullAs('intruder');
    expect(run.exitCode, run.stderr || run.stdout).toBe(3);
    const result = JSON.parse(run.stdout) as { decision: string; pull?: { outcome: string; message: string } };
    expect(result.decision).toBe('pull-with-credentials');
    expect(result.pull?.outcome).toBe('denied');
    expect(result.pull?.message).toMatch(/denied|unauthorized|authorization|insufficient_scope|401|403/i);
  });
});
