import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { PluginError } from './errors.ts';
import type { PluginOptions } from './options.ts';
import { API_VERSION, registryOf, type CredentialProviderRequest, type CredentialProviderResponse } from './request.ts';
import { cacheSeconds } from './token.ts';

/**
 * Exchange: POST <base>/exchange {serviceAccountToken, role, annotations} → {username, password,
 * expiresInSeconds, expiresAt}; errors are {error, detail} with 400/401/403. The credential is
 * short-lived; kubelet caches it for its lifetime minus the safety margin.
 */

interface ExchangeResult {
  readonly username: string;
  readonly password: string;
  readonly expiresInSeconds: number;
  readonly expiresAt: string | number | undefined;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|ERR_OSSL)/;

async function post(url: URL, body: string, options: PluginOptions): Promise<{ status: number; text: string }> {
  const ca = options.caFile ? readCaFile(options.caFile) : undefined;
  // Loaded on demand: node:https pulls in TLS, which costs start-up time on every kubelet exec.
  const send = url.protocol === 'https:' ? (await import('node:https')).request : (await import('node:http')).request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        // One request per process: no keep-alive pool to set up or wait on.
        agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' },
        ...(ca ? { ca } : {}),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'PULLPROOF_TIMEOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new PluginError('usage', `--ca-file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): mount the CA bundle into the node or drop --ca-file`);
  }
}

function transportError(error: unknown, endpoint: string, options: PluginOptions): PluginError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'PULLPROOF_TIMEOUT') return new PluginError('timeout', `exchange endpoint ${endpoint} did not answer within ${options.timeoutMs} ms; check the token service, or raise --timeout (kubelet kills the plugin at 60 s)`);
  if (TLS_CODES.test(code)) return new PluginError('tls', `TLS handshake with exchange endpoint ${endpoint} failed (${code}): pass --ca-file with the CA that signed its certificate, or fix the URL's host name`);
  if (code === 'ECONNREFUSED') return new PluginError('exchange', `exchange endpoint ${endpoint} refused the connection: is the token service running and reachable from the node?`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new PluginError('exchange', `exchange endpoint ${endpoint}: host name does not resolve (${code}); use an address the node can resolve`);
  return new PluginError('exchange', `exchange endpoint ${endpoint} failed: ${code || (error as Error).message}`);
}

function parseResult(status: number, text: string, endpoint: string): ExchangeResult {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // fall through: handled per status below
  }
  const code = typeof body.error === 'string' ? body.error : '';
  const detail = typeof body.detail === 'string' ? body.detail : typeof body.error === 'string' ? body.error : text.slice(0, 200).replace(/\s+/g, ' ');
  if (status >= 500) throw new PluginError('exchange', `exchange endpoint ${endpoint} answered ${status} (${detail || 'no detail'}): the token service failed; retry, and check its logs`);
  if (status === 401) throw new PluginError('exchange', `exchange endpoint ${endpoint} rejected the service-account token (401 ${code}: ${detail}); check the token audience and the issuer the token service trusts`);
  if (status === 403) throw new PluginError('exchange', `exchange endpoint ${endpoint} denied the role (403 ${code}: ${detail}); the trust policy does not let this service account assume it`);
  if (status !== 200) throw new PluginError('exchange', `exchange endpoint ${endpoint} answered ${status} (${detail || 'no detail'})`);
  const { username, password, expiresInSeconds, expiresAt } = body;
  if (typeof username !== 'string' || typeof password !== 'string' || typeof expiresInSeconds !== 'number' || !Number.isFinite(expiresInSeconds)) {
    throw new PluginError('exchange', `exchange endpoint ${endpoint} answered 200 without {username, password, expiresInSeconds}: is the URL the token service's base URL?`);
  }
  return { username, password, expiresInSeconds, expiresAt: typeof expiresAt === 'string' || typeof expiresAt === 'number' ? expiresAt : undefined };
}

export async function exchange(request: CredentialProviderRequest, options: PluginOptions, nowSeconds: () => number): Promise<CredentialProviderResponse> {
  const token = request.serviceAccountToken;
  if (!token) {
    throw new PluginError('token', `exchange mode needs a service-account token but the request for image ${request.image} has none: give the provider tokenAttributes (serviceAccountTokenAudience, requireServiceAccount: true) in the kubelet config`);
  }
  const role = request.serviceAccountAnnotations[options.roleAnnotation];
  if (!role) {
    throw new PluginError('request', `the service account has no ${options.roleAnnotation} annotation (or kubelet did not forward it): annotate the service account and list the key in tokenAttributes.requiredServiceAccountAnnotationKeys`);
  }
  const url = new URL('exchange', options.exchangeUrl?.endsWith('/') ? options.exchangeUrl : `${options.exchangeUrl ?? ''}/`);
  const endpoint = url.toString();
  const body = JSON.stringify({ serviceAccountToken: token, role, annotations: request.serviceAccountAnnotations });
  let answer: { status: number; text: string };
  try {
    answer = await post(url, body, options);
  } catch (error) {
    if (error instanceof PluginError) throw error;
    throw transportError(error, endpoint, options);
  }
  const result = parseResult(answer.status, answer.text, endpoint);
  const now = nowSeconds();
  const expiresAt = typeof result.expiresAt === 'string' ? Date.parse(result.expiresAt) / 1000 : result.expiresAt;
  const end = Math.min(now + result.expiresInSeconds, expiresAt !== undefined && Number.isFinite(expiresAt) ? expiresAt : Infinity);
  return {
    apiVersion: API_VERSION,
    kind: 'CredentialProviderResponse',
    cacheKeyType: options.cacheKeyType,
    cacheDuration: `${cacheSeconds(end, now, options.safetyMarginSeconds)}s`,
    auth: { [options.authKey ?? registryOf(request.image)]: { username: result.username, password: result.password } },
  };
}
