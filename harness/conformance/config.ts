import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { parseGoDuration } from './go/duration.ts';
import { goPathError } from './go/os-error.ts';
import { goQuote } from './go/quote.ts';

/**
 * CredentialProviderConfig (kubelet.config.k8s.io) as kubelet reads it: one file or a directory of
 * *.json/*.yaml/*.yml files merged in lexicographic order, decoded strictly per config version.
 * Sources: k/k pkg/credentialprovider/plugin/config.go (readCredentialProviderConfig, decode);
 * kubelet staging config/{v1,v1beta1,v1alpha1}/types.go for the fields each version has.
 */

export const CONFIG_GROUP = 'kubelet.config.k8s.io';
export const CONFIG_API_VERSIONS = ['kubelet.config.k8s.io/v1alpha1', 'kubelet.config.k8s.io/v1beta1', 'kubelet.config.k8s.io/v1'] as const;
export type ConfigApiVersion = (typeof CONFIG_API_VERSIONS)[number];

export interface ExecEnvVar {
  readonly name: string;
  readonly value: string;
}

export interface ServiceAccountTokenAttributes {
  readonly serviceAccountTokenAudience: string;
  /** Absent from the v1.33 API; required (ServiceAccount | Token) from v1.34. '' when unset. */
  readonly cacheType: string;
  /** undefined when unset (kubelet: `*bool`, required). */
  readonly requireServiceAccount: boolean | undefined;
  readonly requiredServiceAccountAnnotationKeys: readonly string[];
  readonly optionalServiceAccountAnnotationKeys: readonly string[];
}

export interface CredentialProvider {
  readonly name: string;
  readonly matchImages: readonly string[];
  /** Nanoseconds; undefined when unset (kubelet: `*metav1.Duration`, required). */
  readonly defaultCacheDuration: number | undefined;
  readonly apiVersion: string;
  readonly args: readonly string[];
  readonly env: readonly ExecEnvVar[];
  readonly tokenAttributes: ServiceAccountTokenAttributes | undefined;
}

/** The merged, internal form kubelet validates (config version and source files kept for the trace). */
export interface CredentialProviderConfig {
  readonly providers: readonly CredentialProvider[];
  readonly sources: readonly { readonly path: string; readonly apiVersion: ConfigApiVersion }[];
  /** `sha256:<hex>` over length-prefixed raw file contents (kubelet's config-hash metric). */
  readonly hash: string;
}

/** What the decoder must know about the kubelet release it imitates. */
export interface DecodeRules {
  /** `tokenAttributes.cacheType` exists in the v1 config API (v1.34+). */
  readonly cacheTypeField: boolean;
  /**
   * v1.34+ readCredentialProviderConfig: a file or a directory, merged with a duplicate-name check.
   * false: v1.33 readCredentialProviderConfigFile (one file, no merge). Default true.
   */
  readonly configDirectory?: boolean;
}

/** Any failure kubelet reports while reading the config; `message` is kubelet's text. */
export class CredentialProviderConfigError extends Error {
  readonly path: string;
  readonly kubeletMessage: string;
  constructor(path: string, kubeletMessage: string, hint: string) {
    super(`${kubeletMessage} (${hint})`);
    this.name = 'CredentialProviderConfigError';
    this.path = path;
    this.kubeletMessage = kubeletMessage;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class DecodeError extends Error {}

function jsonTypeName(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

// encoding/json: `json: cannot unmarshal <type> into Go struct field <Struct>.<path> of type <gotype>`.
function typeError(value: Json, struct: string, path: string, goType: string): DecodeError {
  return new DecodeError(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${struct}.${path} of type ${goType}`);
}

function asString(value: Json | undefined, struct: string, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw typeError(value, struct, path, 'string');
  return value;
}

function asStringList(value: Json | undefined, struct: string, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw typeError(value, struct, path, '[]string');
  return value.map((item) => {
    if (typeof item !== 'string') throw typeError(item, struct, path, 'string');
    return item;
  });
}

function asObject(value: Json, struct: string, path: string, goType: string): { [key: string]: Json } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw typeError(value, struct, path, goType);
  return value;
}

const PROVIDER_FIELDS_V1 = ['name', 'matchImages', 'defaultCacheDuration', 'apiVersion', 'args', 'env', 'tokenAttributes'];
const PROVIDER_FIELDS_OLD = ['name', 'matchImages', 'defaultCacheDuration', 'apiVersion', 'args', 'env'];
const TOKEN_FIELDS_133 = ['serviceAccountTokenAudience', 'requireServiceAccount', 'requiredServiceAccountAnnotationKeys', 'optionalServiceAccountAnnotationKeys'];
const TOKEN_FIELDS_134 = [...TOKEN_FIELDS_133, 'cacheType'];

// Strict decoding (serializer.EnableStrict): unknown fields are errors. Message shape from
// apimachinery's strict JSON decoder: `strict decoding error: unknown field "providers[0].x"`.
// (Inferred from code: kubelet's test suite has no unknown-field case.)
function unknownFields(object: { [key: string]: Json }, known: readonly string[], prefix: string): string[] {
  return Object.keys(object)
    .filter((key) => !known.includes(key))
    .map((key) => `unknown field ${goQuote(prefix ? `${prefix}.${key}` : key)}`);
}

function decodeProvider(raw: Json, index: number, version: ConfigApiVersion, rules: DecodeRules, unknown: string[]): CredentialProvider {
  const object = asObject(raw, 'CredentialProviderConfig', 'providers', '[]CredentialProvider');
  const at = `providers[${index}]`;
  unknown.push(...unknownFields(object, version === 'kubelet.config.k8s.io/v1' ? PROVIDER_FIELDS_V1 : PROVIDER_FIELDS_OLD, at));
  let defaultCacheDuration: number | undefined;
  const rawDuration = object.defaultCacheDuration;
  if (rawDuration !== undefined && rawDuration !== null) {
    if (typeof rawDuration !== 'string') throw typeError(rawDuration, 'CredentialProvider', 'defaultCacheDuration', 'string');
    try {
      defaultCacheDuration = parseGoDuration(rawDuration);
    } catch (error) {
      throw new DecodeError((error as Error).message);
    }
  }
  const env = (() => {
    const value = object.env;
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw typeError(value, 'CredentialProvider', 'env', '[]ExecEnvVar');
    return value.map((item, i) => {
      const entry = asObject(item, 'CredentialProvider', 'env', 'ExecEnvVar');
      unknown.push(...unknownFields(entry, ['name', 'value'], `${at}.env[${i}]`));
      return { name: asString(entry.name, 'ExecEnvVar', 'name'), value: asString(entry.value, 'ExecEnvVar', 'value') };
    });
  })();
  let tokenAttributes: ServiceAccountTokenAttributes | undefined;
  if (object.tokenAttributes !== undefined && object.tokenAttributes !== null && version === 'kubelet.config.k8s.io/v1') {
    const t = asObject(object.tokenAttributes, 'CredentialProvider', 'tokenAttributes', 'ServiceAccountTokenAttributes');
    unknown.push(...unknownFields(t, rules.cacheTypeField ? TOKEN_FIELDS_134 : TOKEN_FIELDS_133, `${at}.tokenAttributes`));
    const require = t.requireServiceAccount;
    if (require !== undefined && require !== null && typeof require !== 'boolean') {
      throw typeError(require, 'ServiceAccountTokenAttributes', 'requireServiceAccount', 'bool');
    }
    tokenAttributes = {
      serviceAccountTokenAudience: asString(t.serviceAccountTokenAudience, 'ServiceAccountTokenAttributes', 'serviceAccountTokenAudience'),
      cacheType: rules.cacheTypeField ? asString(t.cacheType, 'ServiceAccountTokenAttributes', 'cacheType') : '',
      requireServiceAccount: typeof require === 'boolean' ? require : undefined,
      requiredServiceAccountAnnotationKeys: asStringList(t.requiredServiceAccountAnnotationKeys, 'ServiceAccountTokenAttributes', 'requiredServiceAccountAnnotationKeys'),
      optionalServiceAccountAnnotationKeys: asStringList(t.optionalServiceAccountAnnotationKeys, 'ServiceAccountTokenAttributes', 'optionalServiceAccountAnnotationKeys'),
    };
  }
  return {
    name: asString(object.name, 'CredentialProvider', 'name'),
    matchImages: asStringList(object.matchImages, 'CredentialProvider', 'matchImages'),
    defaultCacheDuration,
    apiVersion: asString(object.apiVersion, 'CredentialProvider', 'apiVersion'),
    args: asStringList(object.args, 'CredentialProvider', 'args'),
    env,
    tokenAttributes,
  };
}

/** Other kinds registered in kubelet's scheme (config.go decode → "wrong Kind" rather than "no kind"). */
const OTHER_REGISTERED_KINDS: Readonly<Record<string, readonly string[]>> = {
  'kubelet.config.k8s.io/v1beta1': ['KubeletConfiguration', 'SerializedNodeConfigSource'],
  'kubelet.config.k8s.io/v1alpha1': ['ImagePullIntent', 'ImagePulledRecord'],
};

/**
 * config.go decode(): one file's bytes → providers. JSON or YAML (kubelet converts YAML to JSON,
 * then decodes strictly). Throws DecodeError carrying kubelet's inner message.
 */
export function decodeCredentialProviderConfig(data: string, rules: DecodeRules): { apiVersion: ConfigApiVersion; providers: CredentialProvider[] } {
  const document = parseDocument(data, { uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) throw new DecodeError(`error converting YAML to JSON: ${document.errors[0]?.message.split('\n')[0] ?? 'invalid YAML'}`);
  const root = document.toJS() as Json;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new DecodeError(`couldn't get version/kind; json parse error: cannot unmarshal ${jsonTypeName(root)} into Go value of type struct`);
  const apiVersion = typeof root.apiVersion === 'string' ? root.apiVersion : '';
  const kind = typeof root.kind === 'string' ? root.kind : '';
  if (kind === '') throw new DecodeError(`Object 'Kind' is missing in '${JSON.stringify(root)}'`);
  if (apiVersion === '') throw new DecodeError(`Object 'apiVersion' is missing in '${JSON.stringify(root)}'`);
  const [group] = apiVersion.includes('/') ? apiVersion.split('/') : [''];
  const known = (CONFIG_API_VERSIONS as readonly string[]).includes(apiVersion);
  if (known && kind !== 'CredentialProviderConfig') {
    if ((OTHER_REGISTERED_KINDS[apiVersion] ?? []).includes(kind)) throw new DecodeError(`failed to decode ${goQuote(kind)} (wrong Kind)`);
    throw new DecodeError(`no kind ${goQuote(kind)} is registered for version ${goQuote(apiVersion)}`);
  }
  if (!known) {
    if (group !== CONFIG_GROUP && group !== '') throw new DecodeError(`no kind ${goQuote(kind)} is registered for version ${goQuote(apiVersion)}`);
    throw new DecodeError(`no kind ${goQuote(kind)} is registered for version ${goQuote(apiVersion)}`);
  }
  const version = apiVersion as ConfigApiVersion;
  const unknown = unknownFields(root, ['apiVersion', 'kind', 'providers'], '');
  const rawProviders = root.providers;
  if (rawProviders !== undefined && rawProviders !== null && !Array.isArray(rawProviders)) {
    throw typeError(rawProviders, 'CredentialProviderConfig', 'providers', '[]CredentialProvider');
  }
  const providers = (rawProviders ?? []).map((p, i) => decodeProvider(p, i, version, rules, unknown));
  // Only v1 has tokenAttributes; in v1alpha1/v1beta1 it is an unknown field (kubelet@v0.33–v0.36 types).
  if (unknown.length > 0) throw new DecodeError(`strict decoding error: ${unknown.join(', ')}`);
  return { apiVersion: version, providers };
}

const CONFIG_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

/**
 * config.go readCredentialProviderConfig: a file, or a directory's *.json/*.yaml/*.yml (non-dir
 * entries, sort.Strings order) merged; duplicate provider names across files are an error here,
 * before validation (PR #129669). Directory support: PR #131658 (release v1.34, UNVERIFIED).
 */
export async function readCredentialProviderConfig(configPath: string, rules: DecodeRules): Promise<CredentialProviderConfig> {
  if (rules.configDirectory === false) return readCredentialProviderConfigFile(configPath, rules);
  const fail = (message: string, hint: string): never => {
    throw new CredentialProviderConfigError(configPath, message, hint);
  };
  if (configPath === '') fail('credential provider config path is empty', 'pass --config <file or directory>');
  let files: string[];
  try {
    const info = await stat(configPath);
    if (info.isDirectory()) {
      let entries;
      try {
        entries = await readdir(configPath, { withFileTypes: true });
      } catch (error) {
        return fail(`unable to read directory ${goQuote(configPath)}: ${goPathError('open', configPath, error)}`, 'check permissions');
      }
      files = entries.filter((e) => !e.isDirectory() && CONFIG_EXTENSIONS.has(extname(e.name))).map((e) => join(configPath, e.name)).sort();
      if (files.length === 0) fail(`no configuration files found in directory ${goQuote(configPath)}`, 'add a *.yaml, *.yml or *.json CredentialProviderConfig');
    } else {
      files = [configPath];
    }
  } catch (error) {
    if (error instanceof CredentialProviderConfigError) throw error;
    return fail(`unable to access path ${goQuote(configPath)}: ${goPathError('stat', configPath, error)}`, 'check that the config path exists');
  }
  const hasher = createHash('sha256');
  const sources: { path: string; apiVersion: ConfigApiVersion }[] = [];
  const providers: CredentialProvider[] = [];
  const names = new Set<string>();
  for (const file of files) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (error) {
      return fail(`unable to read file ${goQuote(file)}: ${goPathError('open', file, error)}`, 'check permissions');
    }
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(data.length));
    hasher.update(length).update(data);
    let decoded;
    try {
      decoded = decodeCredentialProviderConfig(data.toString('utf8'), rules);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return fail(`error decoding config ${goQuote(file)}: ${error.message}`, 'fix the file so it decodes as a CredentialProviderConfig for this Kubernetes minor');
    }
    sources.push({ path: file, apiVersion: decoded.apiVersion });
    for (const provider of decoded.providers) {
      if (names.has(provider.name)) fail(`duplicate provider name ${goQuote(provider.name)} found in configuration file(s)`, 'give each provider a unique name');
      names.add(provider.name);
      providers.push(provider);
    }
  }
  return { providers, sources, hash: `sha256:${hasher.digest('hex')}` };
}

const configHash = (data: Buffer): string => {
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(data.length));
  return `sha256:${createHash('sha256').update(length).update(data).digest('hex')}`;
};

/**
 * v1.33 config.go readCredentialProviderConfigFile (stored id 593615468): `os.ReadFile(path)`
 * only — a directory fails to read (`read <dir>: is a directory`) — and `decode`; there is no
 * merge step, so duplicate provider names reach validation (`providers.name: Duplicate value`).
 * Note the decode error names the path with `%s`, unquoted, unlike v1.34's `%q`.
 */
async function readCredentialProviderConfigFile(configPath: string, rules: DecodeRules): Promise<CredentialProviderConfig> {
  const fail = (message: string, hint: string): never => {
    throw new CredentialProviderConfigError(configPath, message, hint);
  };
  if (configPath === '') fail('credential provider config path is empty', 'pass --config <file>');
  let data: Buffer;
  try {
    data = await readFile(configPath);
  } catch (error) {
    // os.ReadFile opens a directory fine and fails on read (EISDIR); a missing file fails on open.
    const op = (error as NodeJS.ErrnoException).code === 'EISDIR' ? 'read' : 'open';
    return fail(
      `unable to read external registry credential provider configuration from ${goQuote(configPath)}: ${goPathError(op, configPath, error)}`,
      (error as NodeJS.ErrnoException).code === 'EISDIR' ? 'Kubernetes 1.33 reads one config file, not a directory: pass the file' : 'check that the config file exists and is readable',
    );
  }
  let decoded;
  try {
    decoded = decodeCredentialProviderConfig(data.toString('utf8'), rules);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return fail(`error decoding config ${configPath}: ${error.message}`, 'fix the file so it decodes as a CredentialProviderConfig for this Kubernetes minor');
  }
  return { providers: decoded.providers, sources: [{ path: configPath, apiVersion: decoded.apiVersion }], hash: configHash(data) };
}
