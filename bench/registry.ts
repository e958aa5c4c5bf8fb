import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalServiceAccountIssuer } from '../harness/identity/local-issuer.ts';
import { busyboxImage, pushImage, registryAuthFor, startRegistry, startTokenService, uniqueTag, type StartedRegistry } from '../registry/index.ts';
import { containerdUnavailableReason, ctrSession } from '../test/support/registry-ctr.ts';
import { percentile, type Figure } from './figures.ts';

/**
 * Registry benchmarks (loopback only, bounded loops):
 *  1. token grants/s and p50/p99 latency of the token service vs a bare node:http server that
 *     returns static JSON (the floor for "an HTTP round trip in this process"); the ratio is the
 *     cost of parsing, SA-JWT verification (RS256), policy evaluation and ES256 signing;
 *  2. containerd (`ctr`) pull time of the busybox test image through token auth vs the same image
 *     from a registry without auth. Load generator and servers share one process and 2 cores.
 */

const SERVICE = 'pullproof-bench';
const SEQUENTIAL = 1_500;
const CONCURRENT = 3_000;
const CONCURRENCY = 8;
const PULLS = 5;

async function measure(url: string, headers: Record<string, string>): Promise<{ p50: number; p99: number; perSecond: number }> {
  for (let i = 0; i < 100; i++) await (await fetch(url, { headers })).arrayBuffer(); // warm-up
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const start = performance.now();
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`bench request answered ${response.status}`);
    latencies.push(performance.now() - start);
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT) {
        next++;
        await (await fetch(url, { headers })).arrayBuffer();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: CONCURRENT / seconds };
}

async function tokenFigures(): Promise<Figure[]> {
  const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://bench.issuer' });
  const service = await startTokenService({
    service: SERVICE,
    policy: { subjects: [{ match: { namespace: 'bench', serviceAccount: '*' }, grants: [{ repositories: ['bench/*'], actions: ['pull'] }] }], roles: [] },
    serviceAccountIssuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }],
  });
  const bare = createServer((_req, res) => {
    const body = '{"token":"static","access_token":"static","expires_in":300}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  try {
    const token = await issuer.mint({ namespace: 'bench', serviceAccountName: 'puller', audience: 'pullproof-registry' });
    const headers = { authorization: `Basic ${Buffer.from(`puller:${token}`).toString('base64')}` };
    const query = `?service=${SERVICE}&scope=repository:bench/app:pull`;
    const grants = await measure(`${service.realm}${query}`, headers);
    const baseline = await measure(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/token${query}`, headers);
    const note = `${SEQUENTIAL} sequential requests for latency, ${CONCURRENT} at concurrency ${CONCURRENCY} for throughput; client in the same process`;
    return [
      { name: 'token service grants', value: grants.perSecond, unit: 'grants/s', note },
      { name: 'token service latency p50', value: grants.p50, unit: 'ms' },
      { name: 'token service latency p99', value: grants.p99, unit: 'ms' },
      { name: 'bare node:http static JSON', value: baseline.perSecond, unit: 'req/s' },
      { name: 'bare node:http latency p50', value: baseline.p50, unit: 'ms' },
      { name: 'bare node:http latency p99', value: baseline.p99, unit: 'ms' },
      { name: 'token service / bare throughput', value: grants.perSecond / baseline.perSecond, unit: 'ratio' },
      { name: 'token service / bare p50 latency', value: grants.p50 / baseline.p50, unit: 'ratio' },
    ];
  } finally {
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    await service.close();
  }
}

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
  return [...(await tokenFigures()), ...(await pullFigures())];
}

if (import.meta.main) {
  for (const figure of await run()) {
    console.log(`${figure.name.padEnd(36)} ${figure.value.toPrecision(4).padStart(10)} ${figure.unit}${figure.note ? `  (${figure.note})` : ''}`);
  }
}
