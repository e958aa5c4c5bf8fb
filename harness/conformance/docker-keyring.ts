import { readFile } from 'node:fs/promises';
import { goPathError } from './go/os-error.ts';
import { BasicDockerKeyring, type MatchOptions } from './match-images.ts';

/**
 * The two keyrings kubelet consults besides the credential providers, and the order of all three.
 *
 * Order (k/k pkg/kubelet/images/image_manager.go, find_string ids 274698041 and 680658890):
 *   MakeDockerKeyring(pullSecrets, UnionDockerKeyring{m.nodeKeyring, externalCredentialProviderKeyring})
 * and secrets.go MakeDockerKeyring (stored id 292602277) returns
 *   UnionDockerKeyring{providerFromSecrets, defaultKeyring}
 * so Lookup(repository) concatenates, in this order: every pull secret's match, the node's
 * config.json match, every provider's match. Each keyring matches on its own (its own reverse-sorted
 * index and its own Docker Hub fallback); the union only appends (keyring.go unionDockerKeyring,
 * stored id 48538585). kuberuntime PullImage then tries each credential in turn and pulls
 * anonymously only when the union is empty (containerd-pull.ts).
 */

export type PullSecretType = 'kubernetes.io/dockerconfigjson' | 'kubernetes.io/dockercfg';

/** One of the pod's imagePullSecrets, its data already base64-decoded. */
export interface PullSecretInput {
  readonly name: string;
  readonly namespace?: string;
  /** Default kubernetes.io/dockerconfigjson (data key `.dockerconfigjson`). */
  readonly type?: PullSecretType;
  /** The `.dockerconfigjson` (or `.dockercfg`) contents. An empty string is skipped, as kubelet does. */
  readonly data: string;
}

export interface DockerConfigEntry {
  readonly username: string;
  readonly password: string;
}

/** A pull secret kubelet cannot decode: the image pull fails before any credential is tried. */
export class PullSecretError extends Error {
  readonly secret: string;
  /** The Go error kubelet returns from MakeDockerKeyring (EnsureImageExists reports it for the pod). */
  readonly kubeletMessage: string;
  constructor(secret: string, kubeletMessage: string) {
    super(`pull secret ${secret} cannot be decoded by kubelet: ${kubeletMessage} (kubelet fails the image pull before trying any credential, providers included; fix the secret's data)`);
    this.name = 'PullSecretError';
    this.secret = secret;
    this.kubeletMessage = kubeletMessage;
  }
}

class DecodeError extends Error {}

const B64_ALPHABET = /[A-Za-z0-9+/]/;

/**
 * config.go decodeDockerConfigFieldAuth (stored id 138981151): padded (`…=` after TrimSpace) →
 * base64.StdEncoding, else RawStdEncoding; then `username:password` split at the first colon.
 * Go's decoder skips `\r` and `\n`. The byte offset of "illegal base64 data" is exact for a bad
 * character and approximate (the input length) for a padding/length error.
 */
export function decodeDockerConfigFieldAuth(field: string): DockerConfigEntry {
  const padded = field.trim().endsWith('=');
  let body = '';
  for (const [i, ch] of [...field].entries()) {
    if (ch === '\r' || ch === '\n') continue;
    if (ch === '=' && padded) {
      body += ch;
      continue;
    }
    if (!B64_ALPHABET.test(ch)) throw new DecodeError(`illegal base64 data at input byte ${i}`);
    body += ch;
  }
  const data = body.replace(/=+$/, '');
  const padding = body.length - data.length;
  const lengthOk = padded ? body.length % 4 === 0 && padding <= 2 && !data.includes('=') : data.length % 4 !== 1;
  if (!lengthOk) throw new DecodeError(`illegal base64 data at input byte ${field.length}`);
  const decoded = Buffer.from(data, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new DecodeError('unable to parse auth field, must be formatted as base64(username:password)');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const jsonKind = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

// encoding/json matches struct fields case-insensitively; with several spellings the last one wins.
function field(object: { [key: string]: Json }, name: string): Json | undefined {
  let value: Json | undefined;
  for (const [k, v] of Object.entries(object)) if (k.toLowerCase() === name) value = v;
  return value;
}

function stringField(object: { [key: string]: Json }, name: string): string {
  const v = field(object, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field dockerConfigEntryWithAuth.${name} of type string`);
  return v;
}

/** DockerConfigEntry.UnmarshalJSON: username/password, overridden by a non-empty `auth`. */
function decodeEntry(raw: Json): DockerConfigEntry {
  if (raw === null) return { username: '', password: '' };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type credentialprovider.dockerConfigEntryWithAuth`);
  const auth = stringField(raw, 'auth');
  stringField(raw, 'email'); // decoded (and type-checked) by kubelet, not used for pulls
  const entry = { username: stringField(raw, 'username'), password: stringField(raw, 'password') };
  return auth.length === 0 ? entry : decodeDockerConfigFieldAuth(auth);
}

function decodeAuths(raw: Json | undefined, where: string): [string, DockerConfigEntry][] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(raw)} into ${where} of type credentialprovider.DockerConfig`);
  return Object.entries(raw).map(([location, entry]) => [location, decodeEntry(entry)]);
}

function parseJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    // Go's text differs ("invalid character 'x' looking for beginning of value"); the fact — not JSON — is the same.
    throw new DecodeError(`invalid JSON: ${(error as Error).message}`);
  }
}

/** config.go DockerConfigJSON `{"auths": {...}}` (the `.dockerconfigjson` and node config.json format). */
export function parseDockerConfigJSON(text: string): [string, DockerConfigEntry][] {
  const root = parseJson(text);
  if (root === null) return [];
  if (typeof root !== 'object' || Array.isArray(root)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(root)} into Go value of type credentialprovider.DockerConfigJSON`);
  return decodeAuths(field(root, 'auths'), 'Go struct field DockerConfigJSON.auths');
}

/** The legacy `.dockercfg` format: the auths map at the top level. */
export function parseDockercfg(text: string): [string, DockerConfigEntry][] {
  return decodeAuths(parseJson(text), 'Go value');
}

export interface SecretCredential extends DockerConfigEntry {
  /** `namespace/name` of the secret it came from. */
  readonly secret: string;
}

/**
 * secrets.go secretsToTrackedDockerConfigs: one BasicDockerKeyring over every usable secret
 * (type and key must agree, data non-empty), in pod order; undefined when none is usable (then
 * MakeDockerKeyring returns the default keyring alone). A secret that does not decode fails the
 * whole call: kubelet returns the error and pulls nothing.
 */
export function pullSecretKeyring(secrets: readonly PullSecretInput[], options: MatchOptions = {}): BasicDockerKeyring<SecretCredential> | undefined {
  const keyring = new BasicDockerKeyring<SecretCredential>(options);
  let usable = 0;
  for (const s of secrets) {
    const id = s.namespace ? `${s.namespace}/${s.name}` : s.name;
    if (s.data.length === 0) continue;
    let auths: [string, DockerConfigEntry][];
    try {
      auths = (s.type ?? 'kubernetes.io/dockerconfigjson') === 'kubernetes.io/dockerconfigjson' ? parseDockerConfigJSON(s.data) : parseDockercfg(s.data);
    } catch (error) {
      if (error instanceof DecodeError) throw new PullSecretError(id, error.message);
      throw error;
    }
    keyring.add(auths.map(([location, entry]) => [location, { ...entry, secret: id }] as const));
    usable++;
  }
  return usable > 0 ? keyring : undefined;
}

export interface NodeDockerConfig {
  readonly path: string;
  /** read: its entries are in the node keyring; missing/ignored: the node keyring is empty. */
  readonly status: 'read' | 'missing' | 'ignored';
  /** Why it was ignored (kubelet logs this only at -v=4: "while trying to read …"). */
  readonly detail?: string;
  readonly entries: readonly (readonly [string, DockerConfigEntry])[];
}

/**
 * The node keyring's config.json (config.go ReadDockerConfigJSONFile → ReadSpecificDockerConfigJSONFile,
 * stored id 138981151). kubelet searches `[preferred path, working dir, $HOME/.docker, /.docker]`
 * and then the legacy `.dockercfg`; we read the one file the caller names (the one kubelet would
 * find first). A missing or undecodable file is not an error to kubelet: it moves on and, finding
 * nothing, the node keyring is empty.
 */
export async function readNodeDockerConfig(path: string): Promise<NodeDockerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, status: 'missing', entries: [] };
    return { path, status: 'ignored', detail: goPathError(code === 'EISDIR' ? 'read' : 'open', path, error), entries: [] };
  }
  try {
    return { path, status: 'read', entries: parseDockerConfigJSON(text) };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    // config.go readDockerConfigJSONFileFromBytes replaces any unmarshal error with this text.
    return { path, status: 'ignored', detail: `error occurred while trying to unmarshal json (${error.message})`, entries: [] };
  }
}

export interface NodeCredential extends DockerConfigEntry {
  readonly path: string;
}

/** providersDockerKeyring over the node's config: a BasicDockerKeyring of its entries. */
export function nodeKeyring(config: NodeDockerConfig, options: MatchOptions = {}): BasicDockerKeyring<NodeCredential> {
  const keyring = new BasicDockerKeyring<NodeCredential>(options);
  keyring.add(config.entries.map(([location, entry]) => [location, { ...entry, path: config.path }] as const));
  return keyring;
}
