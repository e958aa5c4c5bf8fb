import { isUtf8 } from 'node:buffer';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { evaluate, mayAssume, type Grant, type Policy, type Principal, type ScopeDecision } from '../policy/policy.ts';
import { AuditLog, type AuditEntry } from './audit.ts';
import { CredentialStore, type RoleSession } from './credentials.ts';
import { formatScope, parseScopes, ScopeError, type ResourceScope } from './scope.ts';
import { ServiceAccountTokenError, ServiceAccountVerifier, looksLikeJwt, type IssuerTrust, type ServiceAccountIdentity } from './service-account.ts';
import { rfc3339 } from './time-text.ts';
import { accessFromScopes, createTokenSigner, type SigningAlgorithm, type TokenSigner } from './signing.ts';

/**
 * The token service: the distribution token endpoint (`<base>/token`, GET + OAuth2 POST) and the
 * exchange endpoint (`<base>/exchange`). node:http only, everything in-process so verdicts can
 * cite the audit log directly (DESIGN.md decision 2).
 */

export interface AdminIdentity {
  readonly username: string;
  readonly password: string;
}

/** A username/password with its own grants (e.g. what an imagePullSecret carries). */
export interface StaticUser {
  readonly username: string;
  readonly password: string;
  readonly grants: readonly Grant[];
}

export interface TokenServiceOptions {
  /** Where to listen. Default 127.0.0.1 on a free port. */
  readonly listen?: { readonly host?: string; readonly port?: number };
  /**
   * Base URL clients use (realm = `<base>/token`, exchange = `<base>/exchange`). Default
   * `http://<listen host>:<port>`. The kind tier listens on the kind network gateway and advertises it.
   */
  readonly publicBaseUrl?: string;
  /** The registry's `auth.token.service`; becomes the `aud` of registry tokens. */
  readonly service: string;
  /** The registry's `auth.token.issuer`; becomes the `iss` of registry tokens. */
  readonly issuer?: string;
  /**
   * Audience(s) a service-account token must carry (any one suffices). Default
   * `pullproof-registry`. An empty list accepts no SA token until `setServiceAccountAudiences`.
   */
  readonly serviceAccountAudience?: string | readonly string[];
  readonly serviceAccountIssuers?: readonly IssuerTrust[];
  /** Clock leeway for SA token exp/nbf, seconds. Default 30. */
  readonly leewaySeconds?: number;
  /** Static admin identity (fixture pushes). From config; there is no built-in default. */
  readonly admin?: AdminIdentity;
  /** Static users with their own grants (never the admin). Replaceable with `setStaticUsers`. */
  readonly staticUsers?: readonly StaticUser[];
  readonly policy: Policy;
  readonly signingAlgorithm?: SigningAlgorithm;
  /** Registry token lifetime. Default 300 s; the spec says never below 60 s. */
  readonly tokenTtlSeconds?: number;
  /** Lifetime of credentials minted by /exchange. Default 900 s. */
  readonly exchangeTtlSeconds?: number;
  /** JSON-lines audit file (appended, rotated at a size cap). Without it the audit is in-process only. */
  readonly auditFile?: string;
  /** Bounds of the audit (defaults in audit.ts / audit-file.ts: 8 MiB in memory, 64 MiB files, 3 rotations). */
  readonly auditLimits?: AuditLimits;
}

export interface AuditLimits {
  /** In-memory bound over all entries, bytes. */
  readonly memoryBytes?: number;
  /** In-memory bound per service account, bytes. */
  readonly memoryBytesPerAccount?: number;
  /** Size at which the audit file is rotated, bytes. */
  readonly fileMaxBytes?: number;
  /** Rotated audit files kept besides the current one. */
  readonly fileKeep?: number;
}

export interface TokenService {
  readonly baseUrl: string;
  /** `<base>/token`: the registry's `auth.token.realm`. */
  readonly realm: string;
  readonly exchangeUrl: string;
  readonly service: string;
  readonly issuer: string;
  /** Listening address (may differ from the advertised base URL). */
  readonly address: { readonly host: string; readonly port: number };
  /** PEM of the self-signed signing certificate: the registry's `rootcertbundle`. */
  readonly rootCertificatePem: string;
  readonly audit: AuditLog;
  auditFor(query: { namespace: string; serviceAccount: string }): AuditEntry[];
  trustIssuer(trust: IssuerTrust): void;
  setPolicy(policy: Policy): void;
  /** Replaces the accepted SA token audiences. */
  setServiceAccountAudiences(audiences: readonly string[]): void;
  /** Replaces the static users (their passwords are registered for audit redaction). */
  setStaticUsers(users: readonly StaticUser[]): void;
  close(): Promise<void>;
}

export class TokenServiceStartError extends Error {
  readonly address: string;
  constructor(address: string, detail: string, options?: { cause?: unknown }) {
    super(`token service could not listen on ${address}: ${detail}; choose another listen address/port`, options);
    this.name = 'TokenServiceStartError';
    this.address = address;
  }
}

/** A token-service option is unusable; `field` names it. */
export class TokenServiceConfigError extends Error {
  readonly field: string;
  constructor(field: string, detail: string) {
    super(`token service option ${field} ${detail}`);
    this.name = 'TokenServiceConfigError';
    this.field = field;
  }
}

/** Hard limits: a token request is a few hundred bytes; an SA JWT ~1–2 KiB. */
export const LIMITS = {
  maxHeaderBytes: 16 * 1024,
  maxAuthorizationBytes: 8 * 1024,
  maxFormBodyBytes: 16 * 1024,
  maxJsonBodyBytes: 64 * 1024,
  maxAnnotations: 64,
  maxAnnotationValueBytes: 4096,
  /** A request's headers must arrive within this (node:http `headersTimeout`; also bounds an idle fresh connection). */
  headersTimeoutMs: 10_000,
  /** A whole request (headers and body) must arrive within this (node:http `requestTimeout`). */
  requestTimeoutMs: 15_000,
} as const;

/** An error the client caused; becomes a JSON response and an audit entry. Never carries a secret. */
class RequestError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

type Resolved =
  | { kind: 'admin'; username: string }
  | { kind: 'staticUser'; user: StaticUser; username: string }
  | { kind: 'serviceAccount'; identity: ServiceAccountIdentity; username: string }
  | { kind: 'exchange'; session: RoleSession; username: string }
  | { kind: 'refresh'; principal: Resolved };

interface AuditContext {
  identity: AuditEntry['identity'];
  subject?: string;
  username?: string;
  serviceAccount?: ServiceAccountIdentity;
  claimedServiceAccount?: { readonly namespace: string; readonly name: string };
  role?: string;
  annotations?: Readonly<Record<string, string>>;
  requestedScopes: string[];
  grantedScopes: string[];
  denyReason?: string;
}

/** Headers as node:http's flat [name, value, …] list: no per-response header object to build and walk. */
function sendJson(res: ServerResponse, status: number, body: unknown, headers: readonly string[] = []): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

function sendJsonText(res: ServerResponse, status: number, text: string, headers: readonly string[] = []): void {
  res.writeHead(status, ['content-type', 'application/json', 'cache-control', 'no-store', 'content-length', String(Buffer.byteLength(text)), ...headers]);
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw new RequestError(400, 'invalid_request', `request body of ${declared} bytes exceeds the ${limit}-byte limit`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RequestError(400, 'invalid_request', `request body exceeds the ${limit}-byte limit`);
    chunks.push(chunk);
  }
  const buffer = Buffer.concat(chunks);
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  try {
    return text.decode(buffer);
  } catch {
    throw new RequestError(400, 'invalid_request', 'request body is not valid UTF-8');
  }
}

/**
 * Standard base64 with padding, as Go's StdEncoding accepts: a length that is a multiple of 4, the
 * alphabet, at most two `=` and only at the end (the length rule then puts them where they belong).
 * One character class instead of groups of four: the regex ran over every ~1 KiB service-account
 * token and cost 1.6 % of the token service's CPU (bench profile).
 */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const isStrictBase64 = (text: string): boolean => text.length % 4 === 0 && BASE64_CHARS.test(text);

/** RFC 7617 Basic credentials; strict base64 (Go's StdEncoding is strict too). Undefined = no header. */
export function parseBasicAuthorization(header: string | undefined): { username: string; password: string } | undefined {
  if (header === undefined) return undefined;
  if (header.length > LIMITS.maxAuthorizationBytes) throw new RequestError(400, 'invalid_request', `Authorization header longer than ${LIMITS.maxAuthorizationBytes} bytes`);
  const match = /^Basic +([^ ]+) *$/i.exec(header);
  if (!match) throw new RequestError(400, 'invalid_request', 'Authorization must be "Basic <base64(username:password)>"');
  const encoded = match[1] ?? '';
  if (!isStrictBase64(encoded)) throw new RequestError(400, 'invalid_request', 'Authorization Basic credentials are not valid base64');
  const bytes = Buffer.from(encoded, 'base64');
  // isUtf8 + toString, not a fatal TextDecoder: ~0.2 instead of ~1.4 µs for a 1 KiB service-account
  // token (measured), and a leading BOM is kept as Go's string(bytes) keeps it (TextDecoder strips it).
  if (!isUtf8(bytes)) throw new RequestError(400, 'invalid_request', 'Authorization Basic credentials are not UTF-8');
  const decoded = bytes.toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw new RequestError(400, 'invalid_request', 'Authorization Basic credentials have no ":" between username and password');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function equalSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * What to send on a connection Node's HTTP parser gave up on (the server's `clientError`), as a raw
 * response that closes the connection; undefined = just close it. These are Node's own answers
 * (lib/_http_server.js `socketOnError`), each with a JSON body like every other refusal here, except:
 *  - oversized headers keep the 400 this service has always sent (Node sends 431), naming the limit
 *    in its detail;
 *  - ERR_HTTP_REQUEST_TIMEOUT gets 408, as in Node. Node also raises it for a keep-alive client's
 *    *idle* connection that never sent a request within `headersTimeout` (the parser's clock
 *    starts at accept): a 408 says "timed out", where a 400 "malformed request" would blame bytes
 *    the client never sent;
 *  - ECONNRESET: the peer is gone, there is nobody to answer (Node's docs for `clientError`).
 */
export function clientErrorResponse(code: string | undefined): string | undefined {
  if (code === 'ECONNRESET') return undefined;
  const [status, error, detail] =
    code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['408 Request Timeout', 'request_timeout', `no complete request within ${LIMITS.headersTimeoutMs / 1000} s (headers) / ${LIMITS.requestTimeoutMs / 1000} s (whole request)`]
      : code === 'HPE_HEADER_OVERFLOW'
        ? ['400 Bad Request', 'invalid_request', `request headers exceed ${LIMITS.maxHeaderBytes} bytes`]
        : ['400 Bad Request', 'invalid_request', 'malformed HTTP request'];
  const body = JSON.stringify({ error, detail });
  return `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export async function startTokenService(options: TokenServiceOptions): Promise<TokenService> {
  const host = options.listen?.host ?? '127.0.0.1';
  const issuer = options.issuer ?? 'pullproof-token-service';
  const tokenTtl = Math.max(60, options.tokenTtlSeconds ?? 300); // token.md: a token should never have <60 s to live
  const exchangeTtl = options.exchangeTtlSeconds ?? 900;
  let policy = options.policy;
  /**
   * Decisions for service accounts asking for one scope, by scope and account, under the current
   * policy (replaced by setPolicy): a pod's pulls ask for the same scope again and again, and the
   * glob evaluation was a noticeable part of each grant (bench). evaluate() is a pure function of
   * policy, principal and scopes; parsed scopes are shared objects (scope.ts), so they key a WeakMap.
   */
  let decisionCache = new WeakMap<ResourceScope, Map<string, ScopeDecision>>();
  const MAX_CACHED_ACCOUNTS_PER_SCOPE = 1024;
  function decide(principal: Principal, scopes: readonly ResourceScope[]): readonly ScopeDecision[] {
    const scope = scopes.length === 1 ? scopes[0] : undefined;
    if (principal.kind !== 'serviceAccount' || scope === undefined) return evaluate(policy, principal, scopes);
    const account = `${principal.namespace}:${principal.name}`; // a namespace has no ':' (SUBJECT in service-account.ts)
    let byAccount = decisionCache.get(scope);
    let decision = byAccount?.get(account);
    if (decision === undefined) {
      decision = Object.freeze(evaluate(policy, principal, scopes)[0] as ScopeDecision);
      if (byAccount === undefined || byAccount.size >= MAX_CACHED_ACCOUNTS_PER_SCOPE) decisionCache.set(scope, (byAccount = new Map<string, ScopeDecision>()));
      byAccount.set(account, decision);
    }
    return [decision];
  }
  const signer: TokenSigner = await createTokenSigner({ algorithm: options.signingAlgorithm ?? 'ES256' });
  const verifier = new ServiceAccountVerifier({
    audience: options.serviceAccountAudience ?? 'pullproof-registry',
    issuers: options.serviceAccountIssuers ?? [],
    leewaySeconds: options.leewaySeconds ?? 30,
  });
  const limits = options.auditLimits ?? {};
  const audit = new AuditLog({
    file: options.auditFile ? { path: options.auditFile, maxBytes: limits.fileMaxBytes, keep: limits.fileKeep } : undefined,
    maxBytes: limits.memoryBytes,
    maxBytesPerAccount: limits.memoryBytesPerAccount,
  });
  if (options.admin) audit.registerSecret(options.admin.password);
  let staticUsers = new Map<string, StaticUser>();
  const setStaticUsers = (users: readonly StaticUser[]): void => {
    const next = new Map<string, StaticUser>();
    for (const user of users) {
      if (!user.username || user.username.includes(':')) throw new TokenServiceConfigError('staticUsers[].username', `${JSON.stringify(user.username)} must be non-empty and contain no ':' (RFC 7617 user-id): rename the user`);
      if (options.admin && user.username === options.admin.username) throw new TokenServiceConfigError('staticUsers[].username', `${JSON.stringify(user.username)} is the admin's username: pick another`);
      if (user.password.length < 8) throw new TokenServiceConfigError('staticUsers[].password', `of user ${JSON.stringify(user.username)} is shorter than 8 characters: generate a random one`);
      audit.registerSecret(user.password);
      next.set(user.username, user);
    }
    staticUsers = next;
  };
  setStaticUsers(options.staticUsers ?? []);
  const exchangeCredentials = new CredentialStore<RoleSession>('ppx_');
  const refreshTokens = new CredentialStore<Resolved>('ppr_');
  let basePath = '';

  async function resolveSecret(username: string, password: string): Promise<Resolved> {
    if (options.admin && username === options.admin.username) {
      if (equalSecret(password, options.admin.password)) return { kind: 'admin', username };
      throw new RequestError(401, 'invalid_client', 'admin credentials are wrong');
    }
    const staticUser = staticUsers.get(username);
    if (staticUser && equalSecret(password, staticUser.password)) return { kind: 'staticUser', user: staticUser, username };
    if (password.startsWith(exchangeCredentials.prefix)) {
      const session = exchangeCredentials.lookup(password, username);
      if (!session) throw new RequestError(401, 'invalid_client', 'exchange credential is unknown, expired, or not issued to this username');
      return { kind: 'exchange', session: session.value, username };
    }
    try {
      // The Basic username is not authenticated by anything, so it is recorded but never trusted.
      return { kind: 'serviceAccount', identity: await verifier.verify(password), username };
    } catch (error) {
      // verify() checks the JWS shape first; only a password of another shape goes on to the refusals
      // below (checking the shape here too ran a regex over every token twice: bench profile).
      if (looksLikeJwt(password)) throw error;
    }
    // A static user's name with another password falls through the checks above, then ends here.
    if (staticUser) throw new RequestError(401, 'invalid_client', `password for user ${JSON.stringify(username)} is wrong`);
    throw new RequestError(401, 'invalid_client', 'credentials are neither a service-account token, an exchange credential, a configured user nor the admin identity');
  }

  function principalOf(resolved: Resolved): Principal {
    if (resolved.kind === 'refresh') return principalOf(resolved.principal);
    if (resolved.kind === 'admin') return { kind: 'admin', username: resolved.username };
    if (resolved.kind === 'staticUser') return { kind: 'staticUser', username: resolved.username, grants: resolved.user.grants };
    if (resolved.kind === 'exchange') {
      return { kind: 'role', role: resolved.session.role, namespace: resolved.session.serviceAccount.namespace, name: resolved.session.serviceAccount.name };
    }
    return { kind: 'serviceAccount', namespace: resolved.identity.namespace, name: resolved.identity.name };
  }

  function describeIdentity(resolved: Resolved, context: AuditContext): void {
    if (resolved.kind === 'refresh') {
      describeIdentity(resolved.principal, context);
      context.identity = 'refresh';
      return;
    }
    context.username = resolved.username;
    if (resolved.kind === 'admin') {
      context.identity = 'admin';
      context.subject = `admin:${resolved.username}`;
    } else if (resolved.kind === 'staticUser') {
      context.identity = 'static';
      context.subject = `user:${resolved.username}`;
    } else if (resolved.kind === 'exchange') {
      context.identity = 'exchange';
      context.serviceAccount = resolved.session.serviceAccount;
      context.subject = resolved.session.serviceAccount.subject;
      context.role = resolved.session.role;
    } else {
      context.identity = 'serviceAccount';
      context.serviceAccount = resolved.identity;
      context.subject = resolved.identity.subject;
    }
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse, url: URL, context: AuditContext): Promise<number> {
    let params: URLSearchParams;
    let credentials: { username: string; password: string } | undefined;
    let refreshToken: string | undefined;
    const oauth = req.method === 'POST';
    if (oauth) {
      // oauth.md: POST <realm>, application/x-www-form-urlencoded, grant_type password | refresh_token.
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') throw new RequestError(400, 'invalid_request', 'POST body must be application/x-www-form-urlencoded');
      params = new URLSearchParams(await readBody(req, LIMITS.maxFormBodyBytes));
      const grantType = params.get('grant_type');
      if (grantType === 'password') {
        const username = params.get('username');
        const password = params.get('password');
        if (!username || !password) throw new RequestError(400, 'invalid_request', 'grant_type=password needs username and password');
        credentials = { username, password };
      } else if (grantType === 'refresh_token') {
        refreshToken = params.get('refresh_token') ?? '';
        if (!refreshToken) throw new RequestError(400, 'invalid_request', 'grant_type=refresh_token needs refresh_token');
      } else {
        // RFC 6749 §5.2 unsupported_grant_type; 400 keeps containerd's POST→GET fallback available.
        throw new RequestError(400, 'unsupported_grant_type', `grant_type ${JSON.stringify((grantType ?? '').slice(0, 64))} is not password or refresh_token`);
      }
    } else {
      params = url.searchParams;
      credentials = parseBasicAuthorization(req.headers.authorization);
      const account = params.get('account');
      // docker_auth rule (reference §5.1): an `account` that names someone else is refused.
      if (account !== null && credentials && account !== credentials.username) throw new RequestError(400, 'invalid_request', 'account does not match the Basic username');
    }
    const service = params.get('service');
    if (params.getAll('service').length > 1) throw new RequestError(400, 'invalid_request', 'service given more than once');
    if (service !== options.service) throw new RequestError(400, 'invalid_request', `service ${JSON.stringify((service ?? '').slice(0, 64))} is not served here (expected ${JSON.stringify(options.service)})`);
    let scopes: ResourceScope[];
    try {
      scopes = parseScopes(params.getAll('scope'));
    } catch (error) {
      if (error instanceof ScopeError) throw new RequestError(400, 'invalid_scope', error.message);
      throw error;
    }
    context.requestedScopes = scopes.map(formatScope);

    let resolved: Resolved;
    if (refreshToken !== undefined) {
      const session = refreshTokens.lookup(refreshToken);
      if (session) resolved = { kind: 'refresh', principal: session.value };
      else if (looksLikeJwt(refreshToken)) resolved = { kind: 'serviceAccount', identity: await verifier.verify(refreshToken), username: '' }; // containerd identity-token mode
      else throw new RequestError(401, 'invalid_grant', 'refresh_token is unknown or expired');
    } else if (credentials) {
      resolved = await resolveSecret(credentials.username, credentials.password);
    } else {
      // token.md allows anonymous tokens; this policy model has no anonymous grants, so say so early.
      context.identity = 'anonymous';
      throw new RequestError(401, 'invalid_client', 'anonymous access is not granted anything: send Basic credentials');
    }
    describeIdentity(resolved, context);

    const decisions = decide(principalOf(resolved), scopes);
    const granted = decisions.map((decision) => ({ ...decision.requested, actions: decision.granted }));
    context.grantedScopes = granted.filter((scope) => scope.actions.length > 0).map(formatScope);
    const reasons = decisions.flatMap((decision) => (decision.denyReason ? [decision.denyReason] : []));
    if (reasons.length > 0) context.denyReason = reasons.join('; ');

    const subject = context.subject ?? '';
    const { token, issuedAt } = await signer.sign({ issuer, audience: options.service, subject, access: accessFromScopes(granted), expiresInSeconds: tokenTtl });
    const body: Record<string, unknown> = { expires_in: tokenTtl, issued_at: rfc3339(issuedAt) };
    if (oauth) body.scope = context.grantedScopes.join(' ');
    const offline = oauth ? params.get('access_type') === 'offline' : params.get('offline_token') === 'true';
    if (offline && refreshToken === undefined) {
      const refreshTtl = resolved.kind === 'serviceAccount' ? Math.max(0, Math.floor((resolved.identity.expiresAt.getTime() - Date.now()) / 1000)) : exchangeTtl;
      body.refresh_token = refreshTokens.mint(context.username ?? '', Math.min(refreshTtl, exchangeTtl), resolved).secret;
    }
    // Both token fields: containerd's GET parser prefers access_token, its POST parser reads only
    // access_token (§1.4). The token is our own JWS (base64url and '.'), which JSON never escapes, so
    // it goes into the text as it is instead of through JSON.stringify twice (bench profile).
    sendJsonText(res, 200, `{"token":"${token}","access_token":"${token}",${JSON.stringify(body).slice(1)}`);
    return 200;
  }

  async function handleExchange(req: IncomingMessage, res: ServerResponse, context: AuditContext): Promise<number> {
    if (req.method !== 'POST') throw new RequestError(405, 'invalid_request', 'exchange accepts POST only');
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') throw new RequestError(400, 'invalid_request', 'Content-Type must be application/json');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, LIMITS.maxJsonBodyBytes));
    } catch (error) {
      if (error instanceof RequestError) throw error;
      throw new RequestError(400, 'invalid_request', 'body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestError(400, 'invalid_request', 'body must be a JSON object');
    const { serviceAccountToken, role, annotations = {} } = body as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      if (!['serviceAccountToken', 'role', 'annotations'].includes(key)) throw new RequestError(400, 'invalid_request', `unknown field ${JSON.stringify(key.slice(0, 64))}`);
    }
    if (typeof serviceAccountToken !== 'string' || serviceAccountToken === '') throw new RequestError(400, 'invalid_request', 'serviceAccountToken must be a non-empty string');
    if (typeof role !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(role)) throw new RequestError(400, 'invalid_request', 'role must be a role name ([A-Za-z0-9._-])');
    if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) throw new RequestError(400, 'invalid_request', 'annotations must be an object of strings');
    const entries = Object.entries(annotations as Record<string, unknown>);
    if (entries.length > LIMITS.maxAnnotations) throw new RequestError(400, 'invalid_request', `more than ${LIMITS.maxAnnotations} annotations`);
    for (const [key, value] of entries) {
      if (key.length === 0 || key.length > 317 || typeof value !== 'string' || value.length > LIMITS.maxAnnotationValueBytes) {
        throw new RequestError(400, 'invalid_request', `annotation ${JSON.stringify(key.slice(0, 64))} must be a string of at most ${LIMITS.maxAnnotationValueBytes} bytes`);
      }
    }
    const annotationMap = Object.fromEntries(entries) as Record<string, string>;
    context.role = role;
    context.annotations = annotationMap;
    let identity: ServiceAccountIdentity;
    try {
      identity = await verifier.verify(serviceAccountToken);
    } catch (error) {
      if (error instanceof ServiceAccountTokenError) {
        if (error.claimed) context.claimedServiceAccount = error.claimed;
        throw new RequestError(401, 'invalid_token', error.message);
      }
      throw error;
    }
    context.identity = 'serviceAccount';
    context.serviceAccount = identity;
    context.subject = identity.subject;
    const trust = mayAssume(policy, role, identity.namespace, identity.name);
    if (!trust.allowed) throw new RequestError(403, 'access_denied', trust.reason);
    const username = `pullproof-role.${role}.${randomBytes(4).toString('hex')}`;
    const minted = exchangeCredentials.mint(username, exchangeTtl, { role, serviceAccount: identity, annotations: annotationMap });
    context.username = username;
    context.grantedScopes = [`role:${role}`];
    sendJson(res, 200, { username, password: minted.secret, expiresInSeconds: exchangeTtl, expiresAt: rfc3339(minted.expiresAt) });
    return 200;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://token-service.invalid');
    } catch {
      sendJson(res, 400, { error: 'invalid_request', detail: 'request target is not a valid URL' });
      return;
    }
    const endpoint = url.pathname === `${basePath}/token` ? 'token' : url.pathname === `${basePath}/exchange` ? 'exchange' : undefined;
    if (!endpoint) {
      sendJson(res, 404, { error: 'not_found', detail: `no endpoint here: use ${basePath}/token or ${basePath}/exchange` });
      return;
    }
    const context: AuditContext = { identity: 'unknown', requestedScopes: [], grantedScopes: [] };
    let status: number;
    try {
      if (endpoint === 'token' && req.method !== 'GET' && req.method !== 'POST') throw new RequestError(405, 'invalid_request', 'token endpoint accepts GET and POST');
      status = endpoint === 'token' ? await handleToken(req, res, url, context) : await handleExchange(req, res, context);
    } catch (error) {
      let failure: RequestError;
      if (error instanceof ServiceAccountTokenError && error.claimed) context.claimedServiceAccount = error.claimed;
      if (error instanceof RequestError) failure = error;
      else if (error instanceof ServiceAccountTokenError) failure = new RequestError(401, 'invalid_token', error.message);
      else failure = new RequestError(500, 'server_error', `internal error: ${error instanceof Error ? error.name : 'unknown'}`);
      status = failure.status;
      context.denyReason = failure.message;
      context.grantedScopes = [];
      const headers: string[] = status === 401 ? ['www-authenticate', 'Basic realm="pullproof-token-service"'] : [];
      if (status === 400 || status === 405) headers.push('connection', 'close');
      if (!res.headersSent) sendJson(res, status, { error: failure.code, detail: failure.message }, headers);
      else res.destroy();
    }
    const outcome: AuditEntry['outcome'] =
      status !== 200 ? 'rejected' : context.denyReason ? (context.grantedScopes.length > 0 ? 'partial' : 'denied') : 'granted';
    audit.record(auditEntry(req, endpoint, status, outcome, context));
  }

  /** The audit entry of one decision; fields in a fixed order (the JSON line's), absent ones left out. */
  function auditEntry(req: IncomingMessage, endpoint: AuditEntry['endpoint'], status: number, outcome: AuditEntry['outcome'], context: AuditContext): Omit<AuditEntry, 'time'> {
    // Assigned one by one: conditional spreads copied an object per field per request (bench profile).
    const entry: { -readonly [K in keyof AuditEntry]?: AuditEntry[K] } = {
      client: req.socket.remoteAddress ?? 'unknown',
      endpoint,
      method: req.method ?? '',
      status,
      outcome,
      identity: context.identity,
    };
    const sa = context.serviceAccount;
    if (context.subject) entry.subject = context.subject;
    if (context.username) entry.username = context.username;
    if (sa) {
      entry.serviceAccount = { namespace: sa.namespace, name: sa.name, uid: sa.uid };
      entry.issuer = sa.issuer;
    } else if (context.claimedServiceAccount) entry.claimedServiceAccount = context.claimedServiceAccount;
    if (sa?.pod) entry.pod = sa.pod;
    if (sa?.node) entry.node = sa.node;
    if (context.role) entry.role = context.role;
    if (context.annotations) entry.annotations = context.annotations;
    entry.requestedScopes = context.requestedScopes;
    entry.grantedScopes = context.grantedScopes;
    if (context.denyReason) entry.denyReason = context.denyReason;
    return entry as Omit<AuditEntry, 'time'>;
  }

  const server: Server = createServer({ maxHeaderSize: LIMITS.maxHeaderBytes, requestTimeout: LIMITS.requestTimeoutMs, headersTimeout: LIMITS.headersTimeoutMs }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', detail: 'internal error' });
      else res.destroy();
    });
  });
  // Oversized headers (a 64 KiB Authorization, say), unparsable requests and connections that sent no
  // complete request in time never reach the handler: Node reports them here (clientErrorResponse).
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const response = socket.writable ? clientErrorResponse(error.code) : undefined;
    if (response === undefined) return socket.destroy();
    socket.end(response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new TokenServiceStartError(`${host}:${options.listen?.port ?? 0}`, error.message, { cause: error })));
    server.listen(options.listen?.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = (options.publicBaseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/$/, '');
  basePath = new URL(baseUrl).pathname.replace(/\/$/, '');
  let closing: Promise<void> | undefined;

  return {
    baseUrl,
    realm: `${baseUrl}/token`,
    exchangeUrl: `${baseUrl}/exchange`,
    service: options.service,
    issuer,
    address: { host, port },
    rootCertificatePem: signer.certificatePem,
    audit,
    auditFor: (query) => audit.auditFor(query),
    trustIssuer: (trust) => verifier.trustIssuer(trust),
    setPolicy: (next) => {
      policy = next;
      decisionCache = new WeakMap();
    },
    setServiceAccountAudiences: (audiences) => verifier.setAudiences(audiences),
    setStaticUsers,
    close() {
      // Idempotent: tests close early to flush the audit file, fixtures close again in afterAll.
      closing ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await audit.close();
      })();
      return closing;
    },
  };
}
