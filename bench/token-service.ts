import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalServiceAccountIssuer } from '../harness/identity/local-issuer.ts';
import { percentile, type Figure } from './figures.ts';
import type { LoadPlan, LoadResult } from './load/client.ts';
import { CPU_PINNING, runClient, startServer, type ServerKind, type ServerMemory, type ServerProcess } from './load/processes.ts';
import type { ServeConfig } from './load/serve.ts';

/**
 * Token service under load, from outside: each server in its own process, the load generator in
 * a third (bench/load/). Figures are ratios against a same-work floor (bench/load/floor.ts: verify
 * the RS256 SA JWT, sign an ES256 registry JWT with x5c, answer JSON) measured in the same run,
 * rounds interleaved A/B then B/A so machine drift (2 cores, other work) falls on both.
 *
 * Memory: a fresh token-service process at a fixed 1,000 req/s (valid tokens, then ungranted
 * ones), then idle; RSS from /proc. Default SOAK_SECONDS per phase; BENCH_LONG=1 runs the full
 * 60 s phases. BENCH_PROFILE=1 also writes CPU profiles of both servers under load to
 * artifacts/bench-profile/<server>/ (read them with bench/load/profile-summary.ts).
 */

const SERVICE = 'pullproof-bench';
const CONNECTIONS = 8;
const ROUND_SECONDS = 2;
const ROUNDS = 12;
const WARM_UP_SECONDS = 6;
const LONG = process.env.BENCH_LONG === '1';
const SOAK_SECONDS = LONG ? 60 : 15;
const IDLE_SECONDS = 20;
const SOAK_RATE = 1_000;

interface Setup {
  readonly config: ServeConfig;
  readonly granted: Record<string, string>;
  readonly ungranted: Record<string, string>;
  readonly path: string;
}

const basic = (username: string, token: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}` });

export async function setup(auditFile: string): Promise<Setup> {
  const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://bench.issuer' });
  // Tokens as kubelet requests them for a pod: bound to pod and node.
  const bound = { audience: 'pullproof-registry', pod: { name: 'web-0', uid: '3f6d1c1e-0000-4000-8000-000000000001' }, node: { name: 'worker', uid: '3f6d1c1e-0000-4000-8000-000000000002' } };
  const granted = basic('puller', await issuer.mint({ namespace: 'bench', serviceAccountName: 'puller', ...bound }));
  const ungranted = basic('stranger', await issuer.mint({ namespace: 'elsewhere', serviceAccountName: 'stranger', ...bound }));
  return {
    config: { issuer: issuer.issuer, jwks: issuer.jwks(), service: SERVICE, auditFile },
    granted,
    ungranted,
    path: `/token?service=${SERVICE}&scope=repository:bench/app:pull`,
  };
}

function plan(server: ServerProcess, s: Setup, headers: Record<string, string>, seconds: number, rate?: number): LoadPlan {
  return { host: '127.0.0.1', port: server.port, path: s.path, headers, connections: rate ? 16 : CONNECTIONS, seconds, expectStatus: 200, ...(rate ? { rate } : {}) };
}

/** BENCH_NODE_FLAGS: extra Node flags for both servers (to compare, say, a smaller young generation). */
const serverFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');

const median = (values: readonly number[]): number => percentile(values, 50);

export async function throughput(s: Setup): Promise<Figure[]> {
  const profile = (kind: ServerKind): string[] => [...serverFlags, ...(process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=artifacts/bench-profile/${kind}`] : [])];
  const servers: Record<ServerKind, ServerProcess> = {
    'token-service': await startServer('token-service', s.config, profile('token-service')),
    floor: await startServer('floor', s.config, profile('floor')),
  };
  const rounds: Record<ServerKind, LoadResult[]> = { 'token-service': [], floor: [] };
  const cpuPerRequest: Record<ServerKind, number[]> = { 'token-service': [], floor: [] };
  const mainCpuPerRequest: Record<ServerKind, number[]> = { 'token-service': [], floor: [] };
  const rss: Record<ServerKind, { before: number; after: number }> = { 'token-service': { before: 0, after: 0 }, floor: { before: 0, after: 0 } };
  try {
    for (const kind of ['token-service', 'floor'] as const) {
      rss[kind].before = servers[kind].rssMiB();
      await runClient(plan(servers[kind], s, s.granted, WARM_UP_SECONDS)); // warm-up: JIT, key caches, heap sizes
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order: ServerKind[] = round % 2 === 0 ? ['token-service', 'floor'] : ['floor', 'token-service'];
      for (const kind of order) {
        const cpuBefore = servers[kind].cpuSeconds();
        const result = await runClient(plan(servers[kind], s, s.granted, ROUND_SECONDS));
        const cpuAfter = servers[kind].cpuSeconds();
        cpuPerRequest[kind].push(((cpuAfter.all - cpuBefore.all) / result.requests) * 1e6);
        mainCpuPerRequest[kind].push(((cpuAfter.main - cpuBefore.main) / result.requests) * 1e6);
        if (result.errors > 0) throw new Error(`${kind} answered ${result.errors} of ${result.requests} bench requests with a status other than 200`);
        rounds[kind].push(result);
      }
    }
    for (const kind of ['token-service', 'floor'] as const) rss[kind].after = servers[kind].rssMiB();
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
  const ours = rounds['token-service'];
  const floor = rounds.floor;
  const ratios = ours.map((result, i) => result.perSecond / (floor[i]?.perSecond ?? Number.NaN));
  const rates = (results: readonly LoadResult[]): string => results.map((r) => r.perSecond.toFixed(0)).join(', ');
  const note = `${ROUNDS} interleaved rounds × ${ROUND_SECONDS} s, ${CONNECTIONS} keep-alive connections, load client in its own process, ${CPU_PINNING}; median`;
  return [
    { name: 'token service grants', value: median(ours.map((r) => r.perSecond)), unit: 'grants/s', note: `${note}; rounds ${rates(ours)}` },
    { name: 'same-work floor grants', value: median(floor.map((r) => r.perSecond)), unit: 'grants/s', note: `rounds ${rates(floor)}` },
    { name: 'token service / same-work floor throughput', value: median(ratios), unit: 'ratio', note: `per round ${ratios.map((r) => r.toFixed(2)).join(', ')}; goal ≥ 0.8` },
    {
      name: 'token service / same-work floor CPU per grant',
      value: median(cpuPerRequest['token-service']) / median(cpuPerRequest.floor),
      unit: 'ratio',
      note: `${median(cpuPerRequest['token-service']).toFixed(0)} vs ${median(cpuPerRequest.floor).toFixed(0)} µs of server CPU (all threads, /proc) per grant`,
    },
    {
      name: 'token service / same-work floor main-thread CPU per grant',
      value: median(mainCpuPerRequest['token-service']) / median(mainCpuPerRequest.floor),
      unit: 'ratio',
      note: `${median(mainCpuPerRequest['token-service']).toFixed(0)} vs ${median(mainCpuPerRequest.floor).toFixed(0)} µs (the JS thread alone)`,
    },
    { name: 'token service latency p50', value: median(ours.map((r) => r.p50)), unit: 'ms' },
    { name: 'token service latency p99', value: median(ours.map((r) => r.p99)), unit: 'ms' },
    { name: 'same-work floor latency p50', value: median(floor.map((r) => r.p50)), unit: 'ms' },
    { name: 'same-work floor latency p99', value: median(floor.map((r) => r.p99)), unit: 'ms' },
    { name: 'token service RSS before → after throughput rounds', value: rss['token-service'].after, unit: 'MiB', note: `before ${rss['token-service'].before.toFixed(0)} MiB` },
    { name: 'same-work floor RSS before → after throughput rounds', value: rss.floor.after, unit: 'MiB', note: `before ${rss.floor.before.toFixed(0)} MiB` },
  ];
}

async function auditFileBytes(file: string): Promise<{ bytes: number; files: number }> {
  const dir = join(file, '..');
  const names = (await readdir(dir)).filter((name) => name.startsWith('audit.jsonl'));
  let bytes = 0;
  for (const name of names) bytes += (await stat(join(dir, name))).size;
  return { bytes, files: names.length };
}

type StatusCounts = (result: LoadResult) => Readonly<Record<string, number>>;

/** `status 0 ×3, status 401 ×1` summed over results, or '' when there are none. */
function statusCounts(results: readonly LoadResult[], counts: StatusCounts): string {
  const sums = new Map<string, number>();
  for (const result of results) for (const [status, count] of Object.entries(counts(result))) sums.set(status, (sums.get(status) ?? 0) + count);
  return [...sums].map(([status, count]) => `status ${status} ×${count}`).join(', ');
}

/** `(status 0 ×3, 401 ×1; …)`; status 0 = the connection closed before an answer. */
function describeErrors(...results: LoadResult[]): string {
  const errors = statusCounts(results, (result) => result.errorStatuses);
  return errors === '' ? '' : ` (${errors}; 0 = closed before answering)`;
}

/** Answers nobody asked for: node:http's 408 on a connection that sent nothing within its headersTimeout. */
function describeUnsolicited(...results: LoadResult[]): string {
  const unsolicited = statusCounts(results, (result) => result.unsolicited);
  return unsolicited === '' ? '' : `; server closed idle connections with ${unsolicited} (not a request's answer)`;
}

const MiB = (bytes: number): number => bytes / 2 ** 20;

/** Where the idle RSS is, against the baseline: the V8 heap spaces, and what lies outside the heap. */
function memoryParts(before: ServerMemory, after: ServerMemory): Figure[] {
  const space = (memory: ServerMemory, name: string): { size: number; used: number } => memory.spaces[name] ?? { size: 0, used: 0 };
  const outside = (memory: ServerMemory): number => memory.rss - memory.heapTotal;
  const part = (name: string, value: (memory: ServerMemory) => number, note: string): Figure => ({
    name: `soak: after idle, ${name}`,
    value: MiB(value(after)),
    unit: 'MiB',
    note: `baseline ${MiB(value(before)).toFixed(1)} MiB; ${note}`,
  });
  return [
    part('V8 heap used', (m) => m.heapUsed, 'live JS objects, the in-memory audit among them'),
    part('V8 heap reserved', (m) => m.heapTotal, 'what the heap holds from the OS, used or not'),
    part('V8 new space reserved', (m) => space(m, 'new_space').size, 'the young generation grows under allocation and is given back only by a memory-reducing GC'),
    part('V8 old space reserved', (m) => space(m, 'old_space').size, `used ${MiB(space(after, 'old_space').used).toFixed(1)} MiB`),
    part('outside the V8 heap (RSS − heap)', outside, `external ${MiB(after.external).toFixed(1)} MiB, array buffers ${MiB(after.arrayBuffers).toFixed(1)} MiB; the rest is code, stacks and malloc (OpenSSL, the HTTP parser)`),
  ];
}

async function memory(s: Setup): Promise<Figure[]> {
  const server = await startServer('token-service', s.config, serverFlags);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, server.rssMiB())), 1_000);
  try {
    const started = server.rssMiB();
    await runClient(plan(server, s, s.granted, 2, SOAK_RATE)); // warm-up, as a running harness would be
    const baseline = server.rssMiB();
    const baselineMemory = await server.memory();
    const valid = await runClient(plan(server, s, s.granted, SOAK_SECONDS, SOAK_RATE));
    const stranger = await runClient(plan(server, s, s.ungranted, SOAK_SECONDS, SOAK_RATE));
    const afterLoad = server.rssMiB();
    await sleep(IDLE_SECONDS * 1000);
    const idle = server.rssMiB();
    const idleMemory = await server.memory();
    const file = await auditFileBytes(s.config.auditFile ?? '');
    const load = `${SOAK_SECONDS} s granted + ${SOAK_SECONDS} s ungranted at ${SOAK_RATE} req/s (open loop, 16 connections)${LONG ? '' : '; BENCH_LONG=1 for 60 s phases'}`;
    return [
      { name: 'soak: requests answered / errors', value: valid.requests + stranger.requests, unit: 'requests', note: `${valid.errors + stranger.errors} errors${describeErrors(valid, stranger)}, ${valid.late + stranger.late} never sent${describeUnsolicited(valid, stranger)}; ${load}` },
      { name: 'soak: latency p99 (granted / ungranted)', value: Math.max(valid.p99, stranger.p99), unit: 'ms', note: `granted p99 ${valid.p99.toFixed(1)} ms, ungranted p99 ${stranger.p99.toFixed(1)} ms` },
      { name: 'soak: RSS baseline (after 2 s warm-up)', value: baseline, unit: 'MiB', note: `${started.toFixed(0)} MiB at start` },
      { name: 'soak: RSS peak during load', value: peak, unit: 'MiB' },
      { name: 'soak: RSS right after load', value: afterLoad, unit: 'MiB' },
      { name: `soak: RSS after ${IDLE_SECONDS} s idle`, value: idle, unit: 'MiB' },
      { name: 'soak: RSS growth after idle (goal ≤ 32 MiB)', value: idle - baseline, unit: 'MiB' },
      ...memoryParts(baselineMemory, idleMemory),
      { name: 'soak: audit file(s) on disk', value: file.bytes / 2 ** 20, unit: 'MiB', note: `${file.files} file(s), rotation cap per file as configured` },
    ];
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}

export async function run(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pullproof-bench-tokens-'));
  try {
    await Promise.all(['throughput', 'soak'].map((sub) => mkdir(join(dir, sub))));
    const figures = await throughput(await setup(join(dir, 'throughput', 'audit.jsonl')));
    return [...figures, ...(await memory(await setup(join(dir, 'soak', 'audit.jsonl'))))];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
