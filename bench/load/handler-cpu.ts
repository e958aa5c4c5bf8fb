import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Diagnostic, not part of `make bench`: CPU per grant of the two request listeners alone — the token
 * service's and the same-work floor's — called in-process with a stub request and response, no
 * sockets, no load client. What the throughput ratio cannot separate (scheduler, socket writes,
 * the client) is gone, so the JS cost of our request path shows with little noise:
 *   node --max-semi-space-size=8 bench/load/handler-cpu.ts [requests per round]
 * Both listeners are captured from node:http's createServer while the servers start (the token
 * service does not export its listener, and should not for a diagnostic).
 */

const listeners: RequestListener[] = [];
const createServer = http.createServer;
const capture = (...args: unknown[]): http.Server => {
  const listener = args.find((arg): arg is RequestListener => typeof arg === 'function');
  if (listener) listeners.push(listener);
  return (createServer as (...a: unknown[]) => http.Server)(...args);
};
(http as { createServer: unknown }).createServer = capture;
syncBuiltinESMExports();

const { setup } = await import('../token-service.ts');
const { startTokenService } = await import('../../registry/index.ts');
const { startFloor } = await import('./floor.ts');
const { benchTokenServiceOptions } = await import('./token-service-options.ts');

const dir = mkdtempSync(join(tmpdir(), 'pullproof-handler-cpu-'));
const s = await setup(join(dir, 'audit.jsonl'));
const service = await startTokenService(benchTokenServiceOptions(s.config));
const floor = await startFloor(s.config);
const [ours, bare] = listeners;
if (!ours || !bare) throw new Error('handler-cpu: could not capture both request listeners');

const socket = { remoteAddress: '127.0.0.1', writable: true };
/** One grant through a listener; resolves when the response ends, throws on any status but 200. */
function grant(listener: RequestListener): Promise<void> {
  return new Promise((resolve, reject) => {
    const res = {
      headersSent: false,
      writeHead(status: number) {
        if (status !== 200) reject(new Error(`handler-cpu: status ${status}`));
        return this;
      },
      end: () => resolve(),
      destroy: () => undefined,
    };
    listener({ method: 'GET', url: s.path, headers: { ...s.granted, host: 'bench' }, socket } as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
}

async function cpuPerGrant(listener: RequestListener, requests: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < requests; i++) await grant(listener);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / requests;
}

const requests = Number(process.argv[2] ?? 5000);
try {
  for (let round = 1; round <= 5; round++) {
    const a = await cpuPerGrant(ours, requests);
    const b = await cpuPerGrant(bare, requests);
    process.stdout.write(`round ${round}: token service ${a.toFixed(1)} µs, floor ${b.toFixed(1)} µs per grant (${(a / b).toFixed(2)}×)\n`);
  }
} finally {
  await service.close();
  floor.close();
  rmSync(dir, { recursive: true, force: true });
}
