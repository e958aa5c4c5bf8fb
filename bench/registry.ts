import { LocalServiceAccountIssuer } from '../harness/identity/local-issuer.ts';
import { busyboxImage, pushImage, registryAuthFor, startRegistry, startTokenService, uniqueTag, type StartedRegistry } from '../registry/index.ts';
import { containerdUnavailableReason, ctrSession } from '../test/support/registry-ctr.ts';
import { percentile, type Figure } from './figures.ts';

/**
 * Registry benchmark (loopback only, bounded loops): containerd (`ctr`) pull time of the busybox
 * test image through token auth vs the same image from a registry without auth. The token
 * service's own throughput is measured from outside in bench/token-service.ts.
 */

const SERVICE = 'pullproof-bench';
const PULLS = 5;

async function pullFigures(): Promise<Figure[]> {
  const missing = containerdUnavailableReason();
  if (missing) return [{ name: 'image pull through token auth', value: Number.NaN, unit: 'ms', note: `skipped: ${missing}` }];
  const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://bench.issuer' });
  const admin = { username: 'bench-admin', password: `pw-${uniqueTag()}` };
  const service = await startTokenService({
    service: SERVICE,
    admin,
    policy: { subjects: [{ match: { namespace: 'bench', serviceAccount: '*' }, grants: [{ repositories: ['bench/*'], actions: ['pull'] }] }], roles: [] },
    serviceAccountIssuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }],
  });
  const registries: StartedRegistry[] = [];
  const ctr = ctrSession();
  try {
    const [authed, open] = await Promise.all([startRegistry({ auth: registryAuthFor(service) }), startRegistry()]);
    registries.push(authed, open);
    const image = await busyboxImage();
    const tag = uniqueTag('bench');
    await pushImage({ registryUrl: authed.url, repository: 'bench/app', tag, image, credentials: admin });
    await pushImage({ registryUrl: open.url, repository: 'bench/app', tag, image });
    const token = await issuer.mint({ namespace: 'bench', serviceAccountName: 'puller', audience: 'pullproof-registry' });
    const times = { authed: [] as number[], open: [] as number[] };
    for (let i = 0; i < PULLS; i++) {
      for (const [kind, registry] of [['authed', authed], ['open', open]] as const) {
        const reference = `${registry.host}/bench/app:${tag}`;
        const result = await ctr.pull(reference, kind === 'authed' ? { username: 'puller', password: token } : undefined);
        if (!result.ok) throw new Error(`bench pull of ${reference} failed: ${result.stderr.slice(-300)}`);
        times[kind].push(result.durationMs);
        await ctr.remove(reference);
      }
    }
    const authedMedian = percentile(times.authed, 50);
    const openMedian = percentile(times.open, 50);
    const note = `median of ${PULLS} ctr pulls of the ${(image.layers[0]?.blob.length ?? 0) >> 10} KiB busybox image, content GC'd between pulls; registry ${authed.image.source}`;
    return [
      { name: 'image pull through token auth', value: authedMedian, unit: 'ms', note },
      { name: 'image pull without auth', value: openMedian, unit: 'ms' },
      { name: 'pull with token auth / without', value: authedMedian / openMedian, unit: 'ratio' },
    ];
  } finally {
    await ctr.cleanup();
    for (const registry of registries) await registry.stop();
    await service.close();
  }
}

export async function run(): Promise<Figure[]> {
  return pullFigures();
}

if (import.meta.main) {
  for (const figure of await run()) {
    console.log(`${figure.name.padEnd(36)} ${figure.value.toPrecision(4).padStart(10)} ${figure.unit}${figure.note ? `  (${figure.note})` : ''}`);
  }
}
