import { connect, type Socket } from 'node:net';
import { percentile } from '../figures.ts';

/**
 * The load generator, run as its own process (`node bench/load/client.ts`, plan as JSON on stdin,
 * result as JSON on stdout) so the server under test does not share an event loop with the client
 * measuring it. Raw keep-alive HTTP/1.1 over `node:net`: one pre-built request per connection, the
 * response read by Content-Length, so the client costs far less CPU per request than `fetch` or
 * `node:http` would. Only loopback targets, bounded by connections and seconds.
 *
 * Two modes:
 *  - closed loop (`rate` absent): each connection sends its next request when the previous one is
 *    answered — the server's maximum rate at this concurrency;
 *  - open loop (`rate` req/s): requests are due on a fixed schedule whatever the server does, and
 *    latency counts from when a request was due (no coordinated omission).
 */

export interface LoadPlan {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly seconds: number;
  /** Open loop at this many requests/s; closed loop when absent. */
  readonly rate?: number;
  /** Status every answer must have; anything else counts as an error. */
  readonly expectStatus: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  /** Errors by status; 0 = the server closed the connection before answering (e.g. keep-alive timeout racing a request). */
  readonly errorStatuses: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Open loop only: requests that were due but never sent before the deadline (server fell behind). */
  readonly late: number;
  /**
   * Answers on a connection with no request outstanding, by status: not answers to a request, so
   * neither errors nor latencies. node:http sends a 408 on a connection that sent nothing within
   * its headersTimeout (an open-loop connection the schedule never needed).
   */
  readonly unsolicited: Readonly<Record<string, number>>;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');

class Connection {
  readonly #socket: Socket;
  readonly #request: Buffer;
  readonly #onAnswer: (status: number, dueAt: number) => void;
  readonly #onUnsolicited: (status: number) => void;
  #buffer: Buffer = Buffer.alloc(0);
  #dueAt = 0;
  busy = false;
  closed = false;

  constructor(plan: LoadPlan, request: Buffer, onAnswer: (status: number, dueAt: number) => void, onUnsolicited: (status: number) => void, onClose: () => void) {
    this.#request = request;
    this.#onAnswer = onAnswer;
    this.#onUnsolicited = onUnsolicited;
    this.#socket = connect({ host: plan.host, port: plan.port, noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#socket.on('error', () => undefined);
    this.#socket.on('close', () => {
      this.closed = true;
      if (this.busy) {
        this.busy = false;
        this.#onAnswer(0, this.#dueAt);
      }
      onClose();
    });
  }

  send(dueAt: number): void {
    this.busy = true;
    this.#dueAt = dueAt;
    this.#socket.write(this.#request);
  }

  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const end = this.#buffer.indexOf(CRLF_CRLF);
      if (end === -1) return;
      const head = this.#buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
      if (this.#buffer.length < end + 4 + length) return;
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      const status = Number(head.slice(9, 12));
      if (!this.busy) {
        this.#onUnsolicited(status);
        continue;
      }
      this.busy = false;
      this.#onAnswer(status, this.#dueAt);
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const headerLines = Object.entries({ host: `${plan.host}:${plan.port}`, connection: 'keep-alive', ...plan.headers }).map(([k, v]) => `${k}: ${v}\r\n`);
  const request = Buffer.from(`GET ${plan.path} HTTP/1.1\r\n${headerLines.join('')}\r\n`, 'latin1');
  const latencies: number[] = [];
  let errors = 0;
  const errorStatuses: Record<string, number> = {};
  const unsolicited: Record<string, number> = {};
  const onUnsolicited = (status: number): void => {
    unsolicited[status] = (unsolicited[status] ?? 0) + 1;
  };
  let late = 0;
  const started = performance.now();
  const deadline = started + plan.seconds * 1000;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const connections: Connection[] = [];
  let pending: number[] = []; // open loop: due times not yet sent

  const dispatch = (connection: Connection): void => {
    if (connection.closed || performance.now() >= deadline) return;
    if (plan.rate === undefined) connection.send(performance.now());
    else if (pending.length > 0) connection.send(pending.shift() as number);
  };
  const onAnswer = (connection: () => Connection) => (status: number, dueAt: number): void => {
    latencies.push(performance.now() - dueAt);
    if (status !== plan.expectStatus) {
      errors++;
      errorStatuses[status] = (errorStatuses[status] ?? 0) + 1;
    }
    dispatch(connection());
  };
  const open = (index: number): void => {
    const connection: Connection = new Connection(plan, request, onAnswer(() => connection), onUnsolicited, () => {
      // A server that closes a keep-alive connection gets a fresh one (until the deadline).
      if (performance.now() < deadline) {
        connections[index] = connection;
        open(index);
      }
    });
    connections[index] = connection;
    setImmediate(() => dispatch(connection));
  };
  for (let i = 0; i < plan.connections; i++) open(i);

  let sent = 0;
  const ticker = plan.rate === undefined ? undefined : setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((Math.min(now, deadline) - started) / 1000) * (plan.rate as number));
    for (; sent < due; sent++) pending.push(started + (sent / (plan.rate as number)) * 1000);
    for (const connection of connections) if (!connection.busy) dispatch(connection);
  }, 5);
  const stopper = setInterval(() => {
    if (performance.now() < deadline) return;
    if (connections.some((c) => c.busy && !c.closed) && performance.now() < deadline + 5_000) return; // let answers in flight arrive
    clearInterval(stopper);
    if (ticker) clearInterval(ticker);
    late = pending.length;
    pending = [];
    finish();
  }, 10);
  await done;
  for (const connection of connections) connection.destroy();
  const seconds = plan.seconds;
  return { requests: latencies.length, errors, errorStatuses, seconds, perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), late, unsolicited };
}

if (import.meta.main) {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  const plan = JSON.parse(Buffer.concat(chunks).toString('utf8')) as LoadPlan;
  if (plan.host !== '127.0.0.1') throw new Error(`load client: refusing target ${String(plan.host)}: loopback only`);
  process.stdout.write(`${JSON.stringify(await runLoad(plan))}\n`);
}
