import type { CredentialProviderConfig, CredentialProvider } from './config.ts';
import { formatGoDuration } from './go/duration.ts';
import { goJsonString, goQuote, goToLower } from './go/quote.ts';
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

/**
 * Which upstream texts a release's errors follow (kubelet-rules.ts validationMessagesFor has the
 * sources and the minor each changed in).
 */
export interface ValidationMessages {
  /** k/k config.go: v1.33 gives Required errors a detail and prefixes the duration detail. */
  readonly configGo: 'v1.33' | 'v1.34';
  /** apimachinery field.Error.ErrorBody for non-string values: Stringer/%#v (≤ v0.33) or JSON (v0.34+). */
  readonly valueRendering: 'go-syntax' | 'json';
  /** apimachinery IsQualifiedName: validation.go (≤ v0.34) or content.IsLabelKey (v0.35+). */
  readonly annotationKeys: 'qualified-name' | 'label-key';
}

/** The 1.34 texts: what callers that pass no `messages` get. */
export const MESSAGES_1_34: ValidationMessages = { configGo: 'v1.34', valueRendering: 'json', annotationKeys: 'qualified-name' };

export interface ValidationRules {
  /** KubeletServiceAccountTokenForCredentialProviders is enabled on this kubelet. */
  readonly saTokenForCredentialProviders: boolean;
  /** The release has `tokenAttributes.cacheType` (v1.34+), which is then required. */
  readonly cacheTypeField: boolean;
  /** Default MESSAGES_1_34. */
  readonly messages?: ValidationMessages;
  /** Go net/url IP-literal rule for the matchImages check (default true). */
  readonly strictIPLiteral?: boolean;
}

export type FieldErrorType = 'Required value' | 'Invalid value' | 'Duplicate value' | 'Unsupported value' | 'Forbidden';

/**
 * The Go type of a field.Error's BadValue decides its rendering: `string` is always `%q`; a
 * named string type (ServiceAccountTokenCacheType), time.Duration / *metav1.Duration and
 * []string go through Stringer/%#v (≤ v0.33) or encoding/json (v0.34+).
 */
type BadValue =
  | { kind: 'string'; value: string }
  | { kind: 'named-string'; value: string }
  | { kind: 'duration'; ns: number }
  | { kind: 'strings'; value: readonly string[] };

export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly detail: string;
  /** apimachinery field.Error.Error(). */
  readonly message: string;
}

function renderValue(bad: BadValue, rendering: ValidationMessages['valueRendering']): string {
  if (bad.kind === 'string') return goQuote(bad.value);
  if (rendering === 'go-syntax') {
    switch (bad.kind) {
      case 'named-string':
        return goQuote(bad.value); // %#v of a string kind
      case 'duration':
        return formatGoDuration(bad.ns); // time.Duration is a fmt.Stringer
      case 'strings':
        return `[]string{${bad.value.map((v) => goQuote(v)).join(', ')}}`; // %#v
    }
  }
  switch (bad.kind) {
    case 'named-string':
      return goJsonString(bad.value);
    case 'duration':
      return goJsonString(formatGoDuration(bad.ns)); // metav1.Duration.MarshalJSON
    case 'strings':
      return `[${bad.value.map((v) => goJsonString(v)).join(',')}]`;
  }
}

// field.Error.ErrorBody: Required/Forbidden print no value; others print `<Type>: <value>`.
function fieldError(type: FieldErrorType, field: string, detail: string, bad: BadValue | undefined, messages: ValidationMessages): FieldError {
  let body: string = type;
  if (bad !== undefined && type !== 'Required value' && type !== 'Forbidden') body = `${type}: ${renderValue(bad, messages.valueRendering)}`;
  if (detail) body += `: ${detail}`;
  return { type, field, detail, message: `${field}: ${body}` };
}

// field.NotSupported: the supported values are always strconv.Quote'd.
const notSupported = (field: string, bad: BadValue, supported: readonly string[], messages: ValidationMessages): FieldError =>
  fieldError('Unsupported value', field, `supported values: ${supported.map((s) => goQuote(s)).join(', ')}`, bad, messages);

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

/**
 * IsQualifiedName as the kubelet's apimachinery has it. `qualified-name`: util/validation
 * validation.go up to v0.34 ("a qualified name", MaxLenError "… characters"); `label-key`: v0.35's
 * content.IsLabelKey (kube.go id 55012769595: "a valid label key"; errors.go id 26202708864:
 * "must be no more than %d bytes"). Lengths are Go `len`, i.e. UTF-8 bytes, in both.
 */
export function isQualifiedName(value: string, wording: ValidationMessages['annotationKeys'] = 'qualified-name'): string[] {
  const unit = wording === 'label-key' ? 'bytes' : 'characters';
  const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
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
      if (bytes(prefix) > 253) errs.push(`prefix part must be no more than 253 ${unit}`);
      if (!DNS1123_SUBDOMAIN.test(prefix)) errs.push(`prefix part ${regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com')}`);
    }
  } else {
    const what = wording === 'label-key' ? 'a valid label key' : 'a qualified name';
    return [`${what} ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (bytes(name) > 63) errs.push(`name part must be no more than 63 ${unit}`);
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

// config.go validateServiceAccountAnnotationKeys: "QualifiedName except that case doesn't matter".
function validateAnnotationKeys(field: string, keys: readonly string[], m: ValidationMessages): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    for (const msg of isQualifiedName(goToLower(key), m.annotationKeys)) errs.push(fieldError('Invalid value', field, msg, { kind: 'string', value: key }, m));
    if (seen.has(key)) errs.push(fieldError('Duplicate value', field, '', { kind: 'string', value: key }, m));
    seen.add(key);
  }
  return errs;
}

/** config.go v1.33 (id 593615468) writes `<field> is required`; v1.34+ passes "" (bare `Required value`). */
const requiredDetail = (m: ValidationMessages, fieldName: string): string => (m.configGo === 'v1.33' ? `${fieldName} is required` : '');

function validateProvider(provider: CredentialProvider, seenNames: Set<string>, rules: ValidationRules, m: ValidationMessages): FieldError[] {
  const errs: FieldError[] = [];
  const err = (type: FieldErrorType, field: string, detail: string, bad?: BadValue): number => errs.push(fieldError(type, field, detail, bad, m));
  const name = { kind: 'string', value: provider.name } as const;
  if (provider.name.includes('/')) err('Invalid value', 'providers.name', "provider name cannot contain '/'", name);
  if (provider.name.includes(' ')) err('Invalid value', 'providers.name', 'provider name cannot contain spaces', name);
  if (provider.name === '.') err('Invalid value', 'providers.name', "provider name cannot be '.'", name);
  if (provider.name === '..') err('Invalid value', 'providers.name', "provider name cannot be '..'", name);
  if (seenNames.has(provider.name)) err('Duplicate value', 'providers.name', '', name);
  seenNames.add(provider.name);

  if (provider.apiVersion === '') err('Required value', 'providers.apiVersion', requiredDetail(m, 'apiVersion'));
  else if (!(PLUGIN_API_VERSIONS as readonly string[]).includes(provider.apiVersion)) {
    errs.push(notSupported('providers.apiVersion', { kind: 'string', value: provider.apiVersion }, [...PLUGIN_API_VERSIONS].sort(), m));
  }

  if (provider.matchImages.length === 0) err('Required value', 'providers.matchImages', 'at least 1 item in matchImages is required');
  for (const matchImage of provider.matchImages) {
    try {
      parseSchemelessURL(matchImage, { strictIPLiteral: rules.strictIPLiteral ?? true });
    } catch (error) {
      err('Invalid value', 'providers.matchImages', `match image is invalid: ${(error as Error).message}`, { kind: 'string', value: matchImage });
    }
  }

  if (provider.defaultCacheDuration === undefined) err('Required value', 'providers.defaultCacheDuration', requiredDetail(m, 'defaultCacheDuration'));
  if (provider.defaultCacheDuration !== undefined && provider.defaultCacheDuration < 0) {
    // v1.33: `field.Invalid(…, DefaultCacheDuration.Duration, "defaultCacheDuration must be …")`;
    // later (stored id 436468124): `field.Invalid(…, DefaultCacheDuration, "must be …")`. Which
    // v1.34.x patch first ships the shorter detail is UNVERIFIED (@03db2278 still has the prefix).
    const detail = m.configGo === 'v1.33' ? 'defaultCacheDuration must be greater than or equal to 0' : 'must be greater than or equal to 0';
    err('Invalid value', 'providers.defaultCacheDuration', detail, { kind: 'duration', ns: provider.defaultCacheDuration });
  }

  const t = provider.tokenAttributes;
  if (t === undefined) return errs;
  const at = 'providers.tokenAttributes';
  // "if this field is set without the KubeletServiceAccountTokenForCredentialProviders feature gate
  // enabled, kubelet will fail to start with invalid configuration error" (kubelet-credential-provider docs).
  if (!rules.saTokenForCredentialProviders) {
    err('Forbidden', at, 'tokenAttributes is not supported when KubeletServiceAccountTokenForCredentialProviders feature gate is disabled');
  }
  if (t.serviceAccountTokenAudience.length === 0) err('Required value', `${at}.serviceAccountTokenAudience`, requiredDetail(m, 'serviceAccountTokenAudience'));
  if (t.requireServiceAccount === undefined) err('Required value', `${at}.requireServiceAccount`, requiredDetail(m, 'requireServiceAccount'));
  // Only credentialprovider.kubelet.k8s.io/v1 requests carry serviceAccountToken/Annotations.
  if (provider.apiVersion !== 'credentialprovider.kubelet.k8s.io/v1') {
    err('Forbidden', at, 'tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1 API version');
  }
  if (t.requireServiceAccount === false && t.requiredServiceAccountAnnotationKeys.length > 0) {
    err('Forbidden', `${at}.requiredServiceAccountAnnotationKeys`, 'requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set');
  }
  errs.push(...validateAnnotationKeys(`${at}.requiredServiceAccountAnnotationKeys`, t.requiredServiceAccountAnnotationKeys, m));
  errs.push(...validateAnnotationKeys(`${at}.optionalServiceAccountAnnotationKeys`, t.optionalServiceAccountAnnotationKeys, m));
  const optional = new Set(t.optionalServiceAccountAnnotationKeys);
  // sets.List: byte-wise sorted (same as JS sort for the ASCII keys that can pass IsQualifiedName).
  const both = [...new Set(t.requiredServiceAccountAnnotationKeys)].filter((k) => optional.has(k)).sort();
  if (both.length > 0) err('Invalid value', at, 'annotation keys cannot be both required and optional', { kind: 'strings', value: both });

  // v1.34+ (kubelet@v0.34.0, PR #132617): cacheType is required and must be ServiceAccount or Token.
  if (rules.cacheTypeField) {
    if (t.cacheType.length === 0) {
      err('Required value', `${at}.cacheType`, `cacheType is required to be set when tokenAttributes is specified. Supported values are: ${CACHE_TYPES.join(', ')}`);
    } else if (!(CACHE_TYPES as readonly string[]).includes(t.cacheType)) {
      // The bad value is a kubeletconfig.ServiceAccountTokenCacheType, not a `string`: JSON-rendered.
      errs.push(notSupported(`${at}.cacheType`, { kind: 'named-string', value: t.cacheType }, CACHE_TYPES, m));
    }
  }
  return errs;
}

export function validateCredentialProviderConfig(config: Pick<CredentialProviderConfig, 'providers'>, rules: ValidationRules): FieldError[] {
  const m = rules.messages ?? MESSAGES_1_34;
  const errs: FieldError[] = [];
  if (config.providers.length === 0) errs.push(fieldError('Required value', 'providers', 'at least 1 item in plugins is required', undefined, m));
  const seen = new Set<string>();
  for (const provider of config.providers) errs.push(...validateProvider(provider, seen, rules, m));
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
