import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import type { JWK } from 'jose';
import { startTokenService } from '../../registry/index.ts';
import { startFloor } from './floor.ts';
import { benchTokenServiceOptions } from './token-service-options.ts';

/**
 * One server under test, in its own process: `node bench/load/serve.ts token-service|floor`, config
 * as JSON on stdin, `{"port": N}` on stdout once listening; SIGTERM ends it. SIGUSR2 prints one
 * line `{"memory": …}`: where the resident memory is (V8 heap spaces, external, array buffers), so the
 * bench can say what an RSS figure is made of. Both servers start
 * this same way so the only difference between them is the code that answers.
 */

export interface ServeConfig {
  readonly issuer: string;
  readonly jwks: { readonly keys: readonly JWK[] };
  readonly service: string;
  /** token-service only: JSON-lines audit file (as the harness runs it). */
  readonly auditFile?: string;
}

const kind = process.argv[2];
const chunks: Buffer[] = [];
for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
const config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ServeConfig;

let port: number;
let close: () => Promise<void>;
if (kind === 'token-service') {
  const service = await startTokenService(benchTokenServiceOptions(config));
  port = service.address.port;
  close = () => service.close();
} else if (kind === 'floor') {
  const server = await startFloor(config);
  port = (server.address() as AddressInfo).port;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  throw new Error(`serve: unknown server ${JSON.stringify(kind)}; use token-service or floor`);
}
process.on('SIGTERM', () => {
  void close().finally(() => process.exit(0));
});
process.on('SIGUSR2', () => {
  const usage = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, { size: space.space_size, used: space.space_used_size }]));
  process.stdout.write(`${JSON.stringify({ memory: { ...usage, spaces } })}\n`);
});
process.stdout.write(`${JSON.stringify({ port })}\n`);
