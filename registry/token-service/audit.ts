import { AuditFile, type AuditFileOptions } from './audit-file.ts';
import { isoTime } from './time-text.ts';

/**
 * One structured entry per decision of the token service (token grant, exchange). Entries are
 * evidence for verdicts, so they carry who (subject, SA uid, pod, node), what was asked and what
 * was granted, and why anything was refused. Secrets never reach the log: the AuditLog redacts
 * every string it writes (STYLE.md: "Tokens and passwords are redacted at the logging layer, not by
 * each caller") — JWT-shaped strings, the service's own credential formats, and registered secrets.
 *
 * Memory is bounded by bytes, not entries (100,000 entries of a busy run were ~200 MB of RSS):
 * entries are kept as their JSON line's UTF-8 bytes, grouped per service account (verified, or
 * claimed by a rejected token; everything else in one unattributed group). An account may hold at most
 * `maxBytesPerAccount`, so one busy account cannot push out the entries another account's verdict
 * cites; past `maxBytes` overall the oldest entries go first. Whenever an account lost entries,
 * `auditFor` starts with a `dropped` marker saying how many and until when, and the audit file
 * (rotated at a size cap, see audit-file.ts) still has them.
 */

export interface AuditEntry {
  readonly time: string;
  readonly client: string;
  /** `audit` only on a `dropped` marker (see `auditFor`), never on a decision. */
  readonly endpoint: 'token' | 'exchange' | 'audit';
  readonly method: string;
  readonly status: number;
  readonly outcome: 'granted' | 'partial' | 'denied' | 'rejected' | 'dropped';
  /** How the caller authenticated: service-account token, exchange credential, admin, refresh token, none. */
  readonly identity: 'serviceAccount' | 'exchange' | 'admin' | 'static' | 'refresh' | 'anonymous' | 'unknown';
  readonly subject?: string;
  readonly username?: string;
  readonly serviceAccount?: { readonly namespace: string; readonly name: string; readonly uid: string };
  /** A rejected token's unverified claim of who it belongs to: evidence, never an identity. */
  readonly claimedServiceAccount?: { readonly namespace: string; readonly name: string };
  readonly pod?: { readonly name: string; readonly uid: string };
  readonly node?: { readonly name: string; readonly uid: string };
  readonly issuer?: string;
  readonly role?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly requestedScopes: readonly string[];
  readonly grantedScopes: readonly string[];
  readonly denyReason?: string;
  /** On a `dropped` marker: how many older entries about this account are no longer in memory. */
  readonly dropped?: number;
}

export const REDACTED = '[REDACTED]';

/** One pass over a line: could it hold a JWS (`eyJ`) or one of our credentials (`ppx_`, `ppr_`)? */
const SECRET_HINT = /eyJ|pp[xr]_/;
/** JWS compact serialisations (header always starts with base64url "{" = "eyJ"), and our own credential formats. */
const SECRET_PATTERNS = [/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, /\bpp[xr]_[A-Za-z0-9_-]{20,}/g];

export interface AuditLogOptions {
  /** JSON-lines file (appended, rotated at a size cap). Without it the audit is in-process only. */
  readonly file?: string | AuditFileOptions;
  /** In-memory bound over all entries, bytes. Default 8 MiB. */
  readonly maxBytes?: number;
  /** In-memory bound per service account (and for unattributed entries), bytes. Default maxBytes / 4. */
  readonly maxBytesPerAccount?: number;
}

/** What the in-memory bound has dropped so far. */
export interface AuditDrops {
  readonly entries: number;
  /** Entries the file writer could not keep up with (only if the disk stalls), see audit-file.ts. */
  readonly fileEntries: number;
}

/** Where one entry's line lies: `length` bytes at `offset` of a chunk of its group's arena. */
interface Stored {
  /** EMPTY once evicted, so an evicted entry keeps no chunk alive. */
  chunk: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly timeMs: number;
  readonly bytes: number;
  readonly group: Group;
  evicted: boolean;
}

/**
 * The entries of one service account, oldest first (`head` = index of the oldest live one), and the
 * arena their lines are in. Lines are bytes in Buffers (outside the V8 heap), not strings: a busy
 * service kept ~10,000 lines alive for seconds, and the garbage collector copied each one into the
 * old generation (bench: with strings, an 8 MiB in-memory audit cost ~5 % of the grants/s that a
 * 64 KiB one allowed).
 * A group's entries leave strictly oldest first (both bounds evict a group's oldest), so its chunks
 * are freed from the front as well.
 */
interface Group {
  readonly key: string;
  entries: Stored[];
  head: number;
  bytes: number;
  dropped: number;
  lastDroppedMs?: number;
  /** Chunks that still hold live lines, oldest first; lines are appended to the last one. */
  chunks: Buffer[];
  /** Bytes used in the last chunk. */
  used: number;
}

const EMPTY = Buffer.alloc(0);
/** Arena chunks grow from 2 to 16 KiB per group: a quiet account costs little, a busy one few chunks. */
const CHUNK_MIN = 2 * 1024;
const CHUNK_MAX = 16 * 1024;
/**
 * Full-size chunks given back are kept for reuse, up to this many (1 MiB): a busy account frees one
 * chunk as fast as it needs a new one, and a fresh Buffer each time made V8 collect the old
 * generation more often (external memory grew until a full GC freed the chunks; bench).
 */
const SPARE_CHUNKS = 64;
/** What an entry costs besides its line: the Stored record and its share of a partly used chunk. */
const ENTRY_OVERHEAD = 160;
const parseLine = (stored: Stored): AuditEntry => JSON.parse(stored.chunk.toString('utf8', stored.offset, stored.offset + stored.length)) as AuditEntry;
const groupKey = (sa: { namespace: string; name: string } | undefined): string => (sa ? `${sa.namespace}/${sa.name}` : '');

export class AuditLog {
  readonly file?: string;
  readonly maxBytes: number;
  readonly maxBytesPerAccount: number;
  readonly #groups = new Map<string, Group>();
  /** Every stored entry in arrival order; evicted ones stay as tombstones until compacted. */
  #order: Stored[] = [];
  #orderHead = 0;
  #tombstones = 0;
  #bytes = 0;
  #dropped = 0;
  readonly #secrets = new Set<string>();
  readonly #spareChunks: Buffer[] = [];
  #escapedSecret = false;
  readonly #file?: AuditFile;

  constructor(options: AuditLogOptions = {}) {
    this.maxBytes = options.maxBytes ?? 8 * 2 ** 20;
    this.maxBytesPerAccount = Math.min(this.maxBytes, options.maxBytesPerAccount ?? Math.floor(this.maxBytes / 4));
    if (options.file) {
      this.#file = new AuditFile(typeof options.file === 'string' ? { path: options.file } : options.file);
      this.file = this.#file.path;
    }
  }

  /** Registers a secret (e.g. the admin password) so it is masked wherever it would appear. */
  registerSecret(secret: string): void {
    if (secret.length < 4) return;
    this.#secrets.add(secret);
    // A secret JSON would escape (quote, backslash, control character) may not appear verbatim in a line.
    if (JSON.stringify(secret).length !== secret.length + 2) this.#escapedSecret = true;
  }

  redact(text: string): string {
    let out = text;
    for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  #mightHoldSecret(line: string): boolean {
    if (SECRET_HINT.test(line)) return true;
    if (this.#escapedSecret) return true;
    for (const secret of this.#secrets) if (line.includes(secret)) return true;
    return false;
  }

  #redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.#redactValue(item));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.redact(key), this.#redactValue(item)]));
    }
    return value;
  }

  /** Stamps, redacts and keeps one decision (in memory and in the file); read it back with `entries` / `auditFor`. */
  record(entry: Omit<AuditEntry, 'time'>): void {
    const now = Date.now();
    const time = isoTime(now);
    // The line is written with `time` first without copying the entry into a new object (a copy per
    // request showed in the bench profile); an ISO time needs no JSON escaping.
    let line = `{"time":"${time}",${JSON.stringify(entry).slice(1)}`;
    // Most entries hold nothing secret-shaped: one scan of the serialised line proves it, and only
    // an entry that might hold a secret is redacted field by field (cheaper per request).
    if (this.#mightHoldSecret(line)) line = JSON.stringify(this.#redactValue({ time, ...entry }));
    this.#file?.append(line);
    this.#store(line, now, entry.serviceAccount ?? entry.claimedServiceAccount);
  }

  #store(line: string, timeMs: number, account: { namespace: string; name: string } | undefined): void {
    const key = groupKey(account);
    let group = this.#groups.get(key);
    if (!group) {
      group = { key, entries: [], head: 0, bytes: 0, dropped: 0, chunks: [], used: 0 };
      this.#groups.set(key, group);
    }
    const length = Buffer.byteLength(line);
    let chunk = group.chunks.at(-1);
    if (chunk === undefined || group.used + length > chunk.length) {
      // allocUnsafeSlow: a chunk of its own, not a slice of Node's shared pool (a line would pin 8 KiB
      // of unrelated request buffers). Every byte of it is written before it is read.
      const size = Math.max(length, chunk === undefined ? CHUNK_MIN : Math.min(CHUNK_MAX, 2 * chunk.length));
      chunk = size === CHUNK_MAX ? (this.#spareChunks.pop() ?? Buffer.allocUnsafeSlow(size)) : Buffer.allocUnsafeSlow(size);
      group.chunks.push(chunk);
      group.used = 0;
    }
    const offset = group.used;
    chunk.write(line, offset, length, 'utf8');
    group.used += length;
    const stored: Stored = { chunk, offset, length, timeMs, bytes: length + ENTRY_OVERHEAD, group, evicted: false };
    group.entries.push(stored);
    group.bytes += stored.bytes;
    this.#order.push(stored);
    this.#bytes += stored.bytes;
    while (group.bytes > this.maxBytesPerAccount && group.entries.length - group.head > 1) this.#evictOldest(group);
    while (this.#bytes > this.maxBytes && this.#orderHead < this.#order.length) {
      const oldest = this.#order[this.#orderHead++] as Stored;
      if (oldest.evicted) this.#tombstones--;
      // Arrival order is the same in the global list and in each group, so this is its group's oldest.
      else this.#evictOldest(oldest.group, false);
    }
    this.#compact();
  }

  #evictOldest(group: Group, tombstone = true): void {
    const oldest = group.entries[group.head++] as Stored;
    oldest.evicted = true;
    const freed = oldest.chunk;
    oldest.chunk = EMPTY;
    group.bytes -= oldest.bytes;
    group.dropped++;
    group.lastDroppedMs = oldest.timeMs;
    const next = group.entries[group.head];
    if (next === undefined) {
      for (const chunk of group.chunks) this.#spare(chunk);
      group.chunks = [];
      group.used = 0;
    } else if (next.chunk !== freed && group.chunks[0] === freed) {
      this.#spare(group.chunks.shift() as Buffer); // the oldest chunk's last live line just left
    }
    this.#bytes -= oldest.bytes;
    this.#dropped++;
    if (tombstone) this.#tombstones++;
    if (group.head > 64 && group.head * 2 > group.entries.length) {
      group.entries = group.entries.slice(group.head);
      group.head = 0;
    }
  }

  /** A chunk no live line is in: kept for reuse if it is full-size and there is room. */
  #spare(chunk: Buffer): void {
    if (chunk.length === CHUNK_MAX && this.#spareChunks.length < SPARE_CHUNKS) this.#spareChunks.push(chunk);
  }

  /** Keeps the arrival-order list proportional to what is live (amortised O(1) per entry). */
  #compact(): void {
    if (this.#orderHead + this.#tombstones < 1024 || (this.#orderHead + this.#tombstones) * 2 < this.#order.length) return;
    this.#order = this.#order.slice(this.#orderHead).filter((stored) => !stored.evicted);
    this.#orderHead = 0;
    this.#tombstones = 0;
  }

  /** Entries still in memory, oldest first (markers excluded; see `drops` and `auditFor`). */
  entries(): readonly AuditEntry[] {
    const live: AuditEntry[] = [];
    for (let i = this.#orderHead; i < this.#order.length; i++) {
      const stored = this.#order[i] as Stored;
      if (!stored.evicted) live.push(parseLine(stored));
    }
    return live;
  }

  /** Bytes the in-memory entries are accounted at (≤ maxBytes). */
  bytes(): number {
    return this.#bytes;
  }

  /**
   * Bytes of the arena chunks holding the lines (`bytes()` plus at most two partly used chunks per
   * account), and of the spare chunks kept for reuse (at most 1 MiB).
   */
  heldBytes(): number {
    let held = this.#spareChunks.length * CHUNK_MAX;
    for (const group of this.#groups.values()) for (const chunk of group.chunks) held += chunk.length;
    return held;
  }

  drops(): AuditDrops {
    return { entries: this.#dropped, fileEntries: this.#file?.dropped ?? 0 };
  }

  /**
   * Entries about one service account: its own token requests and its exchanges / role sessions,
   * plus rejected tokens that claimed to be this account (marked as claims). When the memory bound
   * dropped older ones, the first entry is a `dropped` marker (endpoint `audit`, outcome
   * `dropped`) with their count and the time of the newest one dropped.
   */
  auditFor(query: { namespace: string; serviceAccount: string }): AuditEntry[] {
    const group = this.#groups.get(groupKey({ namespace: query.namespace, name: query.serviceAccount }));
    if (!group) return [];
    const entries: AuditEntry[] = [];
    if (group.dropped > 0) entries.push(this.#droppedMarker(group, query));
    for (let i = group.head; i < group.entries.length; i++) entries.push(parseLine(group.entries[i] as Stored));
    return entries;
  }

  #droppedMarker(group: Group, query: { namespace: string; serviceAccount: string }): AuditEntry {
    const where = this.file ? `; the audit file ${this.file} (and its rotations) has them` : '';
    return {
      time: new Date(group.lastDroppedMs ?? 0).toISOString(),
      client: 'audit',
      endpoint: 'audit',
      method: '',
      status: 0,
      outcome: 'dropped',
      identity: 'unknown',
      subject: `system:serviceaccount:${query.namespace}:${query.serviceAccount}`,
      requestedScopes: [],
      grantedScopes: [],
      denyReason: `${group.dropped} older audit entries about this service account (up to ${group.lastDroppedMs === undefined ? '?' : new Date(group.lastDroppedMs).toISOString()}) were dropped from memory by the ${this.maxBytesPerAccount}-byte per-account / ${this.maxBytes}-byte total bound${where}`,
      dropped: group.dropped,
    };
  }

  /** Flushes and closes the audit file (idempotent); rejects if a write failed. */
  async close(): Promise<void> {
    await this.#file?.close();
  }
}
