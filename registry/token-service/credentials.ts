import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServiceAccountIdentity } from './service-account.ts';

/**
 * Short-lived credentials the token service mints itself: exchange credentials (a role session
 * bought with an SA token at /exchange) and refresh tokens (OAuth2 `access_type=offline`).
 * Only a SHA-256 of each secret is stored. Secrets carry a recognisable prefix (`ppx_` exchange,
 * `ppr_` refresh) so log redaction and secret scanners can spot them, like `ghp_` for GitHub.
 */

export interface Session<T> {
  readonly username: string;
  readonly expiresAt: Date;
  readonly value: T;
}

const digest = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export class CredentialStore<T> {
  readonly prefix: string;
  readonly #byDigest = new Map<string, Session<T>>();
  readonly #maxSessions: number;

  constructor(prefix: 'ppx_' | 'ppr_', maxSessions = 10_000) {
    this.prefix = prefix;
    this.#maxSessions = maxSessions;
  }

  mint(username: string, ttlSeconds: number, value: T): { username: string; secret: string; expiresAt: Date } {
    this.#sweep();
    if (this.#byDigest.size >= this.#maxSessions) {
      const oldest = this.#byDigest.keys().next().value;
      if (oldest !== undefined) this.#byDigest.delete(oldest);
    }
    const secret = `${this.prefix}${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    this.#byDigest.set(digest(secret), { username, expiresAt, value });
    return { username, secret, expiresAt };
  }

  /** The session for this secret, if it exists, is unexpired and (when given) belongs to `username`. */
  lookup(secret: string, username?: string): Session<T> | undefined {
    if (!secret.startsWith(this.prefix)) return undefined;
    const session = this.#byDigest.get(digest(secret));
    if (!session) return undefined;
    if (session.expiresAt.getTime() <= Date.now()) {
      this.#byDigest.delete(digest(secret));
      return undefined;
    }
    if (username !== undefined) {
      const a = Buffer.from(username);
      const b = Buffer.from(session.username);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    }
    return session;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, session] of this.#byDigest) if (session.expiresAt.getTime() <= now) this.#byDigest.delete(key);
  }
}

export interface RoleSession {
  readonly role: string;
  readonly serviceAccount: ServiceAccountIdentity;
  readonly annotations: Readonly<Record<string, string>>;
}
