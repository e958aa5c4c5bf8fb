import type { OciImage } from './oci.ts';

/**
 * Pushing an authored image through the distribution API with token auth (reference §6.4):
 * challenge → token (Basic creds at the advertised realm) → for each blob HEAD, POST uploads/,
 * PUT <Location>&digest= with Content-Type application/octet-stream → manifest PUT (→ index PUT).
 */

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface PushOptions {
  /** `http://127.0.0.1:<port>` */
  readonly registryUrl: string;
  readonly repository: string;
  readonly tag: string;
  readonly image: OciImage;
  /** Needed when the registry uses token auth (admin, or anyone granted push). */
  readonly credentials?: RegistryCredentials;
  /** Use this realm instead of the advertised one (when the advertised host is not reachable from here). */
  readonly realmOverride?: string;
}

export interface PushedImage {
  /** `<host:port>/<repository>:<tag>` */
  readonly reference: string;
  readonly digest: string;
}

export class RegistryRequestError extends Error {
  readonly step: string;
  readonly status: number;
  readonly url: string;
  constructor(step: string, url: string, status: number, body: string) {
    super(`${step} failed: ${url} answered ${status}${body ? `: ${body.slice(0, 400)}` : ''}`);
    this.name = 'RegistryRequestError';
    this.step = step;
    this.status = status;
    this.url = url;
  }
}

export interface BearerChallenge {
  readonly realm: string;
  readonly service?: string;
  readonly scope?: string;
  readonly error?: string;
}

/** Parses `Bearer realm="…",service="…",scope="…",error="…"` (RFC 6750 §3). */
export function parseBearerChallenge(header: string | null): BearerChallenge | undefined {
  if (!header || !/^Bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.slice(7).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[match[1] ?? ''] = match[2] ?? '';
  if (!params.realm) return undefined;
  return { realm: params.realm, ...(params.service ? { service: params.service } : {}), ...(params.scope ? { scope: params.scope } : {}), ...(params.error ? { error: params.error } : {}) };
}

const basic = (credentials: RegistryCredentials): string => `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;

/** GET variant of the token endpoint (token.md) with Basic credentials. */
export async function fetchRegistryToken(options: { realm: string; service: string; scopes: readonly string[]; credentials: RegistryCredentials }): Promise<string> {
  const url = new URL(options.realm);
  url.searchParams.set('service', options.service);
  for (const scope of options.scopes) url.searchParams.append('scope', scope);
  const response = await fetch(url, { headers: { authorization: basic(options.credentials) } });
  const text = await response.text();
  if (response.status !== 200) throw new RegistryRequestError('token request', url.origin + url.pathname, response.status, text);
  const body = JSON.parse(text) as { token?: string; access_token?: string };
  const token = body.access_token ?? body.token;
  if (!token) throw new RegistryRequestError('token request', url.origin + url.pathname, response.status, 'response has no token');
  return token;
}

/** An Authorization header value for `scope`, or undefined when the registry needs no auth. */
export async function authorizationFor(options: { registryUrl: string; scope: string; credentials?: RegistryCredentials; realmOverride?: string }): Promise<string | undefined> {
  const probe = await fetch(`${options.registryUrl}/v2/`);
  await probe.body?.cancel();
  if (probe.status === 200) return undefined;
  const challenge = parseBearerChallenge(probe.headers.get('www-authenticate'));
  if (probe.status !== 401 || !challenge) throw new RegistryRequestError('auth challenge', `${options.registryUrl}/v2/`, probe.status, 'expected 401 with a Bearer challenge');
  if (!options.credentials) throw new RegistryRequestError('auth challenge', `${options.registryUrl}/v2/`, 401, 'registry needs token auth but no credentials were given');
  const token = await fetchRegistryToken({
    realm: options.realmOverride ?? challenge.realm,
    service: challenge.service ?? '',
    scopes: [options.scope],
    credentials: options.credentials,
  });
  return `Bearer ${token}`;
}

export async function pushImage(options: PushOptions): Promise<PushedImage> {
  const { registryUrl, repository, image } = options;
  const authorization = await authorizationFor({
    registryUrl,
    scope: `repository:${repository}:pull,push`,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.realmOverride ? { realmOverride: options.realmOverride } : {}),
  });
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({ ...(authorization ? { authorization } : {}), ...extra });
  const blobs = [...image.layers.map((layer) => ({ digest: layer.digest, bytes: layer.blob })), { digest: image.config.digest, bytes: image.config.bytes }];
  for (const blob of blobs) {
    const blobUrl = `${registryUrl}/v2/${repository}/blobs/${blob.digest}`;
    const head = await fetch(blobUrl, { method: 'HEAD', headers: headers() });
    if (head.status === 200) continue;
    const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: headers() });
    const startBody = await start.text();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw new RegistryRequestError(`starting upload of ${blob.digest}`, `${registryUrl}/v2/${repository}/blobs/uploads/`, start.status, startBody);
    const target = new URL(location, registryUrl);
    // Location already carries ?_state=…, so the digest is appended (§6.4 step 3).
    target.searchParams.append('digest', blob.digest);
    // Without application/octet-stream the registry parses the body as a form: DIGEST_INVALID (§6.4 gotchas).
    const put = await fetch(target, { method: 'PUT', headers: headers({ 'content-type': 'application/octet-stream' }), body: blob.bytes });
    const putBody = await put.text();
    if (put.status !== 201) throw new RegistryRequestError(`uploading ${blob.digest}`, `${registryUrl}/v2/${repository}/blobs/uploads/…`, put.status, putBody);
  }
  const putManifest = async (reference: string, bytes: Buffer, mediaType: string): Promise<void> => {
    const url = `${registryUrl}/v2/${repository}/manifests/${reference}`;
    const response = await fetch(url, { method: 'PUT', headers: headers({ 'content-type': mediaType }), body: bytes });
    const text = await response.text();
    if (response.status !== 201) throw new RegistryRequestError(`putting manifest ${reference}`, url, response.status, text);
  };
  if (image.index) {
    // Children first: an index naming a missing manifest is MANIFEST_BLOB_UNKNOWN (§6.3).
    await putManifest(image.manifest.digest, image.manifest.bytes, image.manifest.mediaType);
    await putManifest(options.tag, image.index.bytes, image.index.mediaType);
  } else {
    await putManifest(options.tag, image.manifest.bytes, image.manifest.mediaType);
  }
  return { reference: `${new URL(registryUrl).host}/${repository}:${options.tag}`, digest: image.digest };
}
