import { parseGoDuration } from './go/duration.ts';
import { goQuote } from './go/quote.ts';

/**
 * The exec plugin protocol (credentialprovider.kubelet.k8s.io, kubelet@v0.36.0
 * pkg/apis/credentialprovider/{v1,v1beta1,v1alpha1}/types.go) and kubelet's handling of the
 * response (k/k pkg/credentialprovider/plugin/plugin.go ExecPlugin/decodeResponse/provide).
 */

export const PLUGIN_GROUP = 'credentialprovider.kubelet.k8s.io';

export interface CredentialProviderRequest {
  readonly kind: 'CredentialProviderRequest';
  readonly apiVersion: string;
  readonly image: string;
  readonly serviceAccountToken?: string;
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
}

export type CacheKeyType = 'Image' | 'Registry' | 'Global';
export const CACHE_KEY_TYPES: readonly CacheKeyType[] = ['Image', 'Registry', 'Global'];

export interface AuthEntry {
  readonly username: string;
  readonly password: string;
}

export interface CredentialProviderResponse {
  readonly apiVersion: string;
  readonly kind: string;
  readonly cacheKeyType: string;
  /** Nanoseconds; undefined = not set (kubelet then uses defaultCacheDuration). */
  readonly cacheDuration: number | undefined;
  /** Keys in the order the plugin wrote them (kubelet iterates a Go map: order irrelevant). */
  readonly auth: readonly (readonly [string, AuthEntry])[];
}

/**
 * kubelet's encoding of the request: internal → the provider's apiVersion, JSON with TypeMeta
 * (`kind` then `apiVersion`, Go struct order), `omitempty` fields dropped, map keys sorted, and a
 * trailing newline (json.Encoder). v1alpha1/v1beta1 conversions "intentionally omit the
 * serviceAccountToken and serviceAccountAnnotations fields which are only supported in v1".
 */
export function encodeRequest(apiVersion: string, image: string, serviceAccountToken: string, annotations: Readonly<Record<string, string>>): string {
  const body: Record<string, unknown> = { kind: 'CredentialProviderRequest', apiVersion, image };
  if (apiVersion === `${PLUGIN_GROUP}/v1`) {
    if (serviceAccountToken) body.serviceAccountToken = serviceAccountToken;
    const keys = Object.keys(annotations).sort();
    if (keys.length > 0) body.serviceAccountAnnotations = Object.fromEntries(keys.map((k) => [k, annotations[k]]));
  }
  return `${JSON.stringify(body)}\n`;
}

/** Why kubelet rejected a plugin's output. `kubeletMessage` is what kubelet logs; `detail` explains it. */
export class ResponseRejectedError extends Error {
  readonly kubeletMessage: string;
  readonly detail: string;
  constructor(kubeletMessage: string, detail: string) {
    super(detail ? `${kubeletMessage} (${detail})` : kubeletMessage);
    this.name = 'ResponseRejectedError';
    this.kubeletMessage = kubeletMessage;
    this.detail = detail;
  }
}

// encoding/json syntax errors, in Go's words for the common cases.
function goJsonSyntaxError(data: string): string {
  const trimmed = data.trim();
  if (trimmed === '') return 'unexpected end of JSON input';
  const first = trimmed[0] ?? '';
  if (!'{["-0123456789tfn'.includes(first)) return `invalid character ${goQuoteChar(first)} looking for beginning of value`;
  return 'invalid JSON';
}
const goQuoteChar = (c: string): string => `'${c === "'" ? "\\'" : c}'`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function parseJson(data: string): Json | undefined {
  try {
    return JSON.parse(data) as Json;
  } catch {
    return undefined;
  }
}

/**
 * Duplicate object keys, as the strict decoder sees them: apimachinery's strict JSON serializer
 * (serializer.EnableStrict → sigs.k8s.io/json UnmarshalStrict with DisallowDuplicateFields) fails
 * on a key repeated in one object — struct fields and map keys (`auth`) alike — where plain
 * JSON.parse keeps the last value. Returns the paths, e.g. `cacheKeyType`, `auth[r.io]`.
 * (The exact wording of the strict error is not printed by kubelet, which drops it unwrapped.)
 */
export function duplicateJsonKeys(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const key = str();
        const child = path === 'auth' ? `auth[${key}]` : path ? `${path}.${key}` : key;
        if (seen.has(key)) found.push(child);
        seen.add(key);
        ws();
        i++; // ':'
        value(path === '' ? key : child);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        i++; // '}'
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        i++;
        return;
      }
    }
    if (c === '"') {
      str();
      return;
    }
    while (i < text.length && !',}] \t\n\r'.includes(text[i] ?? '')) i++;
  };
  value('');
  return found;
}

/** schema.GroupVersion.String(): "" when both empty, the version alone for the core group. */
function groupVersionOf(apiVersion: string): string {
  return apiVersion;
}

const DECODE_FAILED = 'error decoding credential provider plugin response from stdout';

/**
 * plugin.go ExecPlugin after a successful exec: read the GVK, compare apiVersion with the
 * configured one, then decode strictly. Decode errors are deliberately not wrapped by kubelet
 * ("since it may contain credentials"); we put the reason in `detail` without any values.
 */
export function decodeResponse(stdout: string, expectedApiVersion: string): CredentialProviderResponse {
  const parsed = parseJson(stdout);
  if (parsed === undefined) throw new ResponseRejectedError(`error reading GVK from response: ${goJsonSyntaxError(stdout)}`, 'stdout is not a JSON object');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ResponseRejectedError(`error reading GVK from response: json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`, 'stdout is not a JSON object');
  }
  for (const field of ['apiVersion', 'kind'] as const) {
    const v = parsed[field];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw new ResponseRejectedError(`error reading GVK from response: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field .${field} of type string`, `${field} must be a string`);
    }
  }
  const apiVersion = typeof parsed.apiVersion === 'string' ? parsed.apiVersion : '';
  const kind = typeof parsed.kind === 'string' ? parsed.kind : '';
  if (groupVersionOf(apiVersion) !== expectedApiVersion) {
    throw new ResponseRejectedError(
      `apiVersion from credential plugin response did not match expected apiVersion:${expectedApiVersion}, actual apiVersion:${groupVersionOf(apiVersion)}`,
      'the plugin must answer in the apiVersion the config names',
    );
  }
  const decodeFailed = (why: string): never => {
    throw new ResponseRejectedError(DECODE_FAILED, why);
  };
  if (kind === '') decodeFailed("Object 'Kind' is missing");
  if (kind !== 'CredentialProviderResponse') {
    // CredentialProviderRequest is registered in the same group: decodes, then the kind check fails.
    decodeFailed(kind === 'CredentialProviderRequest' ? `failed to decode CredentialProviderResponse, unexpected Kind: ${goQuote(kind)}` : `no kind ${goQuote(kind)} is registered for version ${goQuote(apiVersion)}`);
  }
  const duplicates = duplicateJsonKeys(stdout);
  if (duplicates.length > 0) decodeFailed(`strict decoding error: ${duplicates.map((k) => `duplicate field ${goQuote(k)}`).join(', ')}`);
  const known = ['apiVersion', 'kind', 'cacheKeyType', 'cacheDuration', 'auth'];
  const unknown = Object.keys(parsed).filter((k) => !known.includes(k));
  if (unknown.length > 0) decodeFailed(`strict decoding error: ${unknown.map((k) => `unknown field ${goQuote(k)}`).join(', ')}`);
  const cacheKeyType = parsed.cacheKeyType ?? '';
  if (typeof cacheKeyType !== 'string') decodeFailed('cacheKeyType must be a string');
  let cacheDuration: number | undefined;
  if (parsed.cacheDuration !== undefined && parsed.cacheDuration !== null) {
    if (typeof parsed.cacheDuration !== 'string') decodeFailed('cacheDuration must be a Go duration string such as "5m0s"');
    try {
      cacheDuration = parseGoDuration(parsed.cacheDuration as string);
    } catch (error) {
      decodeFailed(`cacheDuration: ${(error as Error).message}`);
    }
  }
  const auth: [string, AuthEntry][] = [];
  const rawAuth = parsed.auth;
  if (rawAuth !== undefined && rawAuth !== null) {
    if (typeof rawAuth !== 'object' || Array.isArray(rawAuth)) decodeFailed('auth must be an object keyed by match-image pattern');
    for (const [key, value] of Object.entries(rawAuth as { [key: string]: Json })) {
      if (value === null) {
        auth.push([key, { username: '', password: '' }]);
        continue;
      }
      if (typeof value !== 'object' || Array.isArray(value)) decodeFailed(`auth[${goQuote(key)}] must be an object with username and password`);
      const entry = value as { [key: string]: Json };
      const extra = Object.keys(entry).filter((k) => k !== 'username' && k !== 'password');
      if (extra.length > 0) decodeFailed(`strict decoding error: ${extra.map((k) => `unknown field ${goQuote(`auth[${key}].${k}`)}`).join(', ')}`);
      for (const f of ['username', 'password'] as const) {
        if (entry[f] !== undefined && entry[f] !== null && typeof entry[f] !== 'string') decodeFailed(`auth[${goQuote(key)}].${f} must be a string`);
      }
      auth.push([key, { username: (entry.username as string | undefined) ?? '', password: (entry.password as string | undefined) ?? '' }]);
    }
  }
  return { apiVersion, kind, cacheKeyType: cacheKeyType as string, cacheDuration, auth };
}
