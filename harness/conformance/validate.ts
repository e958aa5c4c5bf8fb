import type { CredentialProviderConfig, CredentialProvider } from './config.ts';
import { formatGoDuration } from './go/duration.ts';
import { goQuote, goToLower } from './go/quote.ts';
import { parseSchemelessURL } from './match-images.ts';

/**
 * kubelet's validateCredentialProviderConfig (k/k pkg/credentialprovider/plugin/config.go),
 * rule by rule, in kubelet's order, with apimachinery field.Error rendering. Field paths are
 * not indexed (`providers.name`, never `providers[0].name`) because kubelet builds them that way.
 */

export const PLUGIN_API_VERSIONS = [
  'credentialprovider.kubelet.k8s.io/v1',
  'credentialprovider.kubelet.k8s.io/v1alpha1',
  'credentialprovider.kubelet.k8s.io/v1beta1',
] as const;
export type PluginApiVersion = (typeof PLUGIN_API_VERSIONS)[number];

const CACHE_TYPES = ['ServiceAccount', 'Token'] as const; // sets.List order (sorted)

export interface ValidationRules {
  /** KubeletServiceAccountTokenForCredentialProviders is enabled on this kubelet. */
  readonly saTokenForCredentialProviders: boolean;
  /** The release has `tokenAttributes.cacheType` (v1.34+), which is then required. */
  readonly cacheTypeField: boolean;
}

export type FieldErrorType = 'Required value' | 'Invalid value' | 'Duplicate value' | 'Unsupported value' | 'Forbidden';

type BadValue = { kind: 'string'; value: string } | { kind: 'duration'; ns: number } | { kind: 'strings'; value: readonly string[] };

export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly detail: string;
  /** apimachinery field.Error.Error(). */
  readonly message: string;
}

function renderValue(bad: BadValue): string {
  switch (bad.kind) {
    case 'string':
      return goQuote(bad.value);
    case 'duration':
      return goQuote(formatGoDuration(bad.ns)); // metav1.Duration marshals as a quoted Go duration
    case 'strings':
      return JSON.stringify(bad.value);
  }
}

// field.Error.ErrorBody: Required/Forbidden print no value; others print `<Type>: <value>`.
function fieldError(type: FieldErrorType, field: string, detail: string, bad?: BadValue): FieldError {
  let body: string = type;
  if (bad !== undefined && type !== 'Required value' && type !== 'Forbidden') body = `${type}: ${renderValue(bad)}`;
  if (detail) body += `: ${detail}`;
  return { type, field, detail, message: `${field}: ${body}` };
}

const notSupported = (field: string, value: string, supported: readonly string[]): FieldError =>
  fieldError('Unsupported value', field, `supported values: ${supported.map((s) => goQuote(s)).join(', ')}`, { kind: 'string', value });

// apimachinery validation.IsQualifiedName and its helpers, messages verbatim.
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

function regexError(msg: string, format: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${format}')`;
  // Upstream appends "'x', " then " or " — hence the double space in the rendered message.
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${format}')`;
}

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN.test(prefix)) errs.push(`prefix part ${regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com')}`);
    }
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

// config.go validateServiceAccountAnnotationKeys: "QualifiedName except that case doesn't matter".
function validateAnnotationKeys(field: string, keys: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    for (const msg of isQualifiedName(goToLower(key))) errs.push(fieldError('Invalid value', field, msg, { kind: 'string', value: key }));
    if (seen.has(key)) errs.push(fieldError('Duplicate value', field, '', { kind: 'string', value: key }));
    seen.add(key);
  }
  return errs;
}

function validateProvider(provider: CredentialProvider, seenNames: Set<string>, rules: ValidationRules): FieldError[] {
  const errs: FieldError[] = [];
  const name = { kind: 'string', value: provider.name } as const;
  if (provider.name.includes('/')) errs.push(fieldError('Invalid value', 'providers.name', "provider name cannot contain '/'", name));
  if (provider.name.includes(' ')) errs.push(fieldError('Invalid value', 'providers.name', 'provider name cannot contain spaces', name));
  if (provider.name === '.') errs.push(fieldError('Invalid value', 'providers.name', "provider name cannot be '.'", name));
  if (provider.name === '..') errs.push(fieldError('Invalid value', 'providers.name', "provider name cannot be '..'", name));
  if (seenNames.has(provider.name)) errs.push(fieldError('Duplicate value', 'providers.name', '', name));
  seenNames.add(provider.name);

  if (provider.apiVersion === '') errs.push(fieldError('Required value', 'providers.apiVersion', ''));
  else if (!(PLUGIN_API_VERSIONS as readonly string[]).includes(provider.apiVersion)) {
    errs.push(notSupported('providers.apiVersion', provider.apiVersion, [...PLUGIN_API_VERSIONS].sort()));
  }

  if (provider.matchImages.length === 0) errs.push(fieldError('Required value', 'providers.matchImages', 'at least 1 item in matchImages is required'));
  for (const matchImage of provider.matchImages) {
    try {
      parseSchemelessURL(matchImage);
    } catch (error) {
      errs.push(fieldError('Invalid value', 'providers.matchImages', `match image is invalid: ${(error as Error).message}`, { kind: 'string', value: matchImage }));
    }
  }

  if (provider.defaultCacheDuration === undefined) errs.push(fieldError('Required value', 'providers.defaultCacheDuration', ''));
  if (provider.defaultCacheDuration !== undefined && provider.defaultCacheDuration < 0) {
    errs.push(fieldError('Invalid value', 'providers.defaultCacheDuration', 'must be greater than or equal to 0', { kind: 'duration', ns: provider.defaultCacheDuration }));
  }

  const t = provider.tokenAttributes;
  if (t === undefined) return errs;
  const at = 'providers.tokenAttributes';
  // "if this field is set without the KubeletServiceAccountTokenForCredentialProviders feature gate
  // enabled, kubelet will fail to start with invalid configuration error" (kubelet-credential-provider docs).
  if (!rules.saTokenForCredentialProviders) {
    errs.push(fieldError('Forbidden', at, 'tokenAttributes is not supported when KubeletServiceAccountTokenForCredentialProviders feature gate is disabled'));
  }
  if (t.serviceAccountTokenAudience.length === 0) errs.push(fieldError('Required value', `${at}.serviceAccountTokenAudience`, ''));
  if (t.requireServiceAccount === undefined) errs.push(fieldError('Required value', `${at}.requireServiceAccount`, ''));
  // Only credentialprovider.kubelet.k8s.io/v1 requests carry serviceAccountToken/Annotations.
  if (provider.apiVersion !== 'credentialprovider.kubelet.k8s.io/v1') {
    errs.push(fieldError('Forbidden', at, 'tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1 API version'));
  }
  if (t.requireServiceAccount === false && t.requiredServiceAccountAnnotationKeys.length > 0) {
    errs.push(fieldError('Forbidden', `${at}.requiredServiceAccountAnnotationKeys`, 'requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set'));
  }
  errs.push(...validateAnnotationKeys(`${at}.requiredServiceAccountAnnotationKeys`, t.requiredServiceAccountAnnotationKeys));
  errs.push(...validateAnnotationKeys(`${at}.optionalServiceAccountAnnotationKeys`, t.optionalServiceAccountAnnotationKeys));
  const optional = new Set(t.optionalServiceAccountAnnotationKeys);
  const both = [...new Set(t.requiredServiceAccountAnnotationKeys)].filter((k) => optional.has(k)).sort();
  if (both.length > 0) errs.push(fieldError('Invalid value', at, 'annotation keys cannot be both required and optional', { kind: 'strings', value: both }));

  // v1.34+ (kubelet@v0.34.0, PR #132617): cacheType is required and must be ServiceAccount or Token.
  if (rules.cacheTypeField) {
    if (t.cacheType.length === 0) {
      errs.push(fieldError('Required value', `${at}.cacheType`, `cacheType is required to be set when tokenAttributes is specified. Supported values are: ${CACHE_TYPES.join(', ')}`));
    } else if (!(CACHE_TYPES as readonly string[]).includes(t.cacheType)) {
      errs.push(notSupported(`${at}.cacheType`, t.cacheType, CACHE_TYPES));
    }
  }
  return errs;
}

export function validateCredentialProviderConfig(config: Pick<CredentialProviderConfig, 'providers'>, rules: ValidationRules): FieldError[] {
  const errs: FieldError[] = [];
  if (config.providers.length === 0) errs.push(fieldError('Required value', 'providers', 'at least 1 item in plugins is required'));
  const seen = new Set<string>();
  for (const provider of config.providers) errs.push(...validateProvider(provider, seen, rules));
  return errs;
}

/** utilerrors.NewAggregate(...).Error(): de-duplicated messages; one bare, several as `[a, b]`. */
export function aggregateMessage(errors: readonly FieldError[]): string {
  const messages = [...new Set(errors.map((e) => e.message))];
  if (messages.length === 0) return ''; // NewAggregate(nil) is nil: no error at all
  return messages.length === 1 ? (messages[0] ?? '') : `[${messages.join(', ')}]`;
}

/** The error kubelet exits with (RegisterCredentialProviderPlugins). */
export function validationFailureMessage(errors: readonly FieldError[]): string {
  return `failed to validate credential provider config: ${aggregateMessage(errors)}`;
}
