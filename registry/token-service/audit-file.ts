import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, write } from 'node:fs';

/**
 * The audit's JSON-lines file: appended in batches (at most one write per `flushMs`, or sooner once
 * 64 KiB wait), not one write per decision — a write per decision cost the token service a fifth of
 * its CPU under load (bench: server CPU per grant with and without the file). Rotated at a size cap so a long run cannot fill the disk. Rotation is by renaming,
 * like logrotate: `audit.jsonl` → `audit.jsonl.1` → … → `audit.jsonl.<keep>`, the oldest removed;
 * every file is whole JSON lines, so rotated evidence reads like the current file. Each new file
 * starts with a `rotated` line naming the file that holds what came before.
 *
 * Memory is bounded too: if the disk stalls and more than `maxPendingBytes` wait to be written,
 * further lines are counted instead of queued, and a `dropped` line says how many once writing
 * resumes.
 */

export interface AuditFileOptions {
  readonly path: string;
  /**
   * Rotate when the current file would grow past this. Default 64 MiB: a long `make e2e` writes a
   * few thousand decisions (well under 10 MiB), so it never rotates; a load test does.
   */
  readonly maxBytes?: number;
  /** Rotated files kept besides the current one. Default 3 (so at most 4 × maxBytes on disk). */
  readonly keep?: number;
  /** Lines waiting for the disk, bytes, before new ones are dropped. Default 4 MiB. */
  readonly maxPendingBytes?: number;
  /** Longest a line waits before it is written, ms. Default 100. `close()` writes everything. */
  readonly flushMs?: number;
}

const FLUSH_BYTES = 64 * 1024;

export class AuditFile {
  readonly path: string;
  readonly maxBytes: number;
  readonly keep: number;
  readonly maxPendingBytes: number;
  readonly flushMs: number;
  /** Lines never written because the disk fell behind (see maxPendingBytes). */
  dropped = 0;
  /** Times the file was rotated. */
  rotations = 0;
  /** write(2) calls so far: a busy run should see about one per flush, not one per few lines. */
  writes = 0;
  #fd: number;
  #size: number;
  #pending: string[] = [];
  #pendingBytes = 0;
  #droppedUnreported = 0;
  #draining?: Promise<void>;
  #timer?: NodeJS.Timeout;
  #wake?: () => void;
  #error?: Error;
  #closed?: Promise<void>;

  constructor(options: AuditFileOptions) {
    this.path = options.path;
    this.maxBytes = options.maxBytes ?? 64 * 2 ** 20;
    this.keep = Math.max(0, options.keep ?? 3);
    this.maxPendingBytes = options.maxPendingBytes ?? 4 * 2 ** 20;
    this.flushMs = options.flushMs ?? 100;
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  /** Queues one line (no newline); written on a later turn of the event loop. */
  append(line: string): void {
    if (this.#closed) return;
    if (this.#pendingBytes + line.length > this.maxPendingBytes) {
      this.dropped++;
      this.#droppedUnreported++;
      return;
    }
    // The line itself, not a copy with its newline: the in-memory audit holds the same string, and a
    // copy per decision lived long enough (until the next flush) to be promoted to the old generation.
    this.#pending.push(line);
    this.#pendingBytes += line.length + 1;
    if (this.#pendingBytes >= FLUSH_BYTES) this.#flushNow();
    this.#schedule();
  }

  #flushNow(): void {
    if (!this.#timer) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.();
  }

  #schedule(): void {
    if (this.#draining || this.#error) return;
    this.#draining = new Promise<void>((resolve) => {
      this.#wake = resolve;
      // unref: a pending flush must not keep a process alive (close() writes what is left).
      this.#timer = setTimeout(resolve, this.#pendingBytes >= FLUSH_BYTES ? 0 : this.flushMs).unref();
    })
      .then(() => this.#drain())
      .finally(() => {
        this.#draining = undefined;
        this.#timer = undefined;
        if (this.#pending.length > 0) this.#schedule();
      });
  }

  async #drain(): Promise<void> {
    try {
      await this.#drainPending();
    } catch (error) {
      // A failed rotation (rename, open) stops the file; close() reports it.
      this.#error = new Error(`rotating the audit file ${this.path} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /**
   * Writes one batch: the lines queued now, not those that arrive while it is written. Those wait for
   * the next flush (timer or 64 KiB): looping until the queue was empty wrote a few lines at a time
   * under load (bench: 17,055 writes of ~5 KiB in 28 s, 6.6 % of the token service's CPU).
   */
  async #drainPending(): Promise<void> {
    if (this.#pending.length === 0 || this.#error) return;
    const lines = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#droppedUnreported > 0) {
      lines.unshift(JSON.stringify({ time: new Date().toISOString(), audit: 'dropped', entries: this.#droppedUnreported, detail: `the disk fell behind by more than ${this.maxPendingBytes} bytes` }));
      this.#droppedUnreported = 0;
    }
    let chunk = '';
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line) + 1;
      if (this.#size + chunkBytes + bytes > this.maxBytes && this.#size + chunkBytes > 0) {
        await this.#write(chunk);
        chunk = this.#rotate();
        chunkBytes = Buffer.byteLength(chunk);
      }
      chunk += `${line}\n`;
      chunkBytes += bytes;
    }
    await this.#write(chunk);
  }

  #write(text: string): Promise<void> {
    if (text === '' || this.#error) return Promise.resolve();
    const buffer = Buffer.from(text);
    this.#size += buffer.length;
    this.writes++;
    return new Promise((resolve) => {
      const writeFrom = (offset: number): void => {
        write(this.#fd, buffer, offset, buffer.length - offset, null, (error, written) => {
          if (error) this.#error = new Error(`writing the audit file ${this.path} failed: ${error.message}`, { cause: error });
          else if (offset + written < buffer.length) return writeFrom(offset + written);
          resolve();
        });
      };
      writeFrom(0);
    });
  }

  /** Renames the chain and opens a fresh file; returns its first line. Runs only between writes. */
  #rotate(): string {
    closeSync(this.#fd);
    this.#fd = -1;
    const name = (n: number): string => (n === 0 ? this.path : `${this.path}.${n}`);
    const discarded = existsSync(name(this.keep)) ? name(this.keep) : undefined;
    if (this.keep === 0) rmSync(this.path, { force: true });
    for (let n = this.keep; n >= 1; n--) if (existsSync(name(n - 1))) renameSync(name(n - 1), name(n));
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#size = 0;
    this.rotations++;
    const previous = this.keep > 0 ? name(1) : undefined;
    return `${JSON.stringify({ time: new Date().toISOString(), audit: 'rotated', previousFile: previous ?? null, discardedFile: discarded ?? null, maxBytes: this.maxBytes })}\n`;
  }

  /** Writes what is queued and closes the file (idempotent); rejects if a write failed. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#flushNow();
      while (this.#draining) await this.#draining;
      while (this.#pending.length > 0 && !this.#error) await this.#drain();
      if (this.#fd >= 0) closeSync(this.#fd);
    })();
    return this.#closed.then(() => {
      if (this.#error) throw this.#error;
    });
  }
}
