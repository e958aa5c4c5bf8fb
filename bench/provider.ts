import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalServiceAccountIssuer } from '../harness/identity/local-issuer.ts';
import { buildProviderBundle } from '../provider/index.ts';
import { percentile, type Figure } from './figures.ts';

/**
 * Plugin exec wall time as kubelet pays it (launcher → bundled Node → plugin → response), p50
 * over a bounded number of runs, next to `node -e 0` on the same machine. Exchange mode talks to a
 * loopback stub answering like the token service's /exchange. Loopback only.
 */
const RUNS = 15;
const REQUEST_BASE = { apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest', image: 'registry.pullproof.test:5000/team-a/app:v1' };

function timeOnce(command: string, args: readonly string[], stdin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, [...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${command} exited ${code}: ${stderr.trim()}`))));
    child.stdin.end(stdin);
  });
}

async function p50(command: string, args: readonly string[], stdin = ''): Promise<number> {
  await timeOnce(command, args, stdin); // warm the page cache
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await timeOnce(command, args, stdin));
  return percentile(samples, 50);
}

export async function run(): Promise<Figure[]> {
  const root = await mkdtemp(join(tmpdir(), 'pullproof-bench-provider-'));
  const exchange = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ username: 'bench', password: 'bench-password', expiresInSeconds: 900, expiresAt: new Date(Date.now() + 900_000).toISOString() }));
    });
  });
  await new Promise<void>((r) => exchange.listen(0, '127.0.0.1', r));
  try {
    const bundle = await buildProviderBundle({ outDir: join(root, 'provider'), providerName: 'pullproof-credential-provider' });
    const launcher = bundle.launchers[0] ?? '';
    const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
    const token = await issuer.mint({ namespace: 'team-a', serviceAccountName: 'builder', audience: 'pullproof-registry' });
    const exchangeUrl = `http://127.0.0.1:${(exchange.address() as AddressInfo).port}`;

    const baseline = await p50(process.execPath, ['-e', '0']);
    const passthrough = await p50(launcher, ['--mode', 'passthrough'], JSON.stringify({ ...REQUEST_BASE, serviceAccountToken: token }));
    const exchanged = await p50(launcher, ['--mode', 'exchange', '--exchange-url', exchangeUrl], JSON.stringify({ ...REQUEST_BASE, serviceAccountToken: token, serviceAccountAnnotations: { 'pullproof.dev/role': 'team-a-pull' } }));
    const note = `p50 of ${RUNS} runs; bundled launcher as kubelet execs it`;
    return [
      { name: 'node -e 0 wall time', value: baseline, unit: 'ms', note: `p50 of ${RUNS} runs` },
      { name: 'plugin exec (passthrough) wall time', value: passthrough, unit: 'ms', note },
      { name: 'plugin exec (passthrough) / node -e 0', value: passthrough / baseline, unit: 'ratio' },
      { name: 'plugin exec (exchange, loopback) wall time', value: exchanged, unit: 'ms', note },
      { name: 'plugin exec (exchange, loopback) / node -e 0', value: exchanged / baseline, unit: 'ratio' },
    ];
  } finally {
    exchange.closeAllConnections();
    await new Promise<void>((r) => exchange.close(() => r()));
    await rm(root, { recursive: true, force: true });
  }
}
