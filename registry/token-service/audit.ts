import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * One structured entry per decision of the token service (token grant, exchange). Entries are
 * evidence for verdicts, so they carry who (subject, SA uid, pod, node), what was asked and what
 * was granted, and why anything was refused. Secrets never reach the log: the AuditLog redacts
 * every string it writes (STYLE.md: "Tokens and passwords are redacted at the logging layer, not by
 * each caller") — JWT-shaped strings, the service's own credential formats, and registered secrets.
 */

export interface AuditEntry {
  readonly time: string;
  readonly client: string;
  readonly endpoint: 'token' | 'exchange';
  readonly method: string;
  readonly status: number;
  readonly outcome: 'granted' | 'partial' | 'denied' | 'rejected';
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
}

export const REDACTED = '[REDACTED]';

/** JWS compact serialisations (header always starts with base64url "{" = "eyJ"), and our own credential formats. */
const SECRET_PATTERNS = [/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, /\bpp[xr]_[A-Za-z0-9_-]{20,}/g];

export class AuditLog {
  readonly file?: string;
  readonly #entries: AuditEntry[] = [];
  readonly #secrets = new Set<string>();
  readonly #stream?: WriteStream;
  readonly #maxEntries: number;

  constructor(options: { file?: string; maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
    if (options.file) {
      this.file = options.file;
      this.#stream = createWriteStream(options.file, { flags: 'a', mode: 0o600 });
    }
  }

  /** Registers a secret (e.g. the admin password) so it is masked wherever it would appear. */
  registerSecret(secret: string): void {
    if (secret.length >= 4) this.#secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  #redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.#redactValue(item));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.redact(key), this.#redactValue(item)]));
    }
    return value;
  }

  record(entry: Omit<AuditEntry, 'time'>): AuditEntry {
    const redacted = this.#redactValue({ time: new Date().toISOString(), ...entry }) as AuditEntry;
    this.#entries.push(redacted);
    if (this.#entries.length > this.#maxEntries) this.#entries.splice(0, this.#entries.length - this.#maxEntries);
    this.#stream?.write(`${JSON.stringify(redacted)}\n`);
    return redacted;
  }

  entries(): readonly AuditEntry[] {
    return [...this.#entries];
  }

  /** Entries about one service account: its own token requests and its exchanges / role sessions. */
  auditFor(query: { namespace: string; serviceAccount: string }): AuditEntry[] {
    // Verified identities, plus rejected tokens that claimed to be this account (marked as claims).
    const matches = (sa: { namespace: string; name: string } | undefined): boolean => sa?.namespace === query.namespace && sa.name === query.serviceAccount;
    return this.#entries.filter((entry) => matches(entry.serviceAccount) || matches(entry.claimedServiceAccount));
  }

  async close(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
