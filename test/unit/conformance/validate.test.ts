import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialProvider, ServiceAccountTokenAttributes } from '../../../harness/conformance/config.ts';
import { readCredentialProviderConfig, CredentialProviderConfigError } from '../../../harness/conformance/config.ts';
import { kubeletRules } from '../../../harness/conformance/kubelet-rules.ts';
import { KubeletConfigRejectedError, loadKubeletCredentialProviderConfig } from '../../../harness/conformance/runner.ts';
import { aggregateMessage, isQualifiedName, validateCredentialProviderConfig, validationFailureMessage, type ValidationRules } from '../../../harness/conformance/validate.ts';

const MINUTE = 60e9;
const v134: ValidationRules = { saTokenForCredentialProviders: true, cacheTypeField: true };
const v133: ValidationRules = { saTokenForCredentialProviders: true, cacheTypeField: false };

function provider(over: Partial<CredentialProvider> = {}): CredentialProvider {
  return { name: 'foobar', matchImages: ['gcr.io'], defaultCacheDuration: MINUTE, apiVersion: 'credentialprovider.kubelet.k8s.io/v1', args: [], env: [], tokenAttributes: undefined, ...over };
}
function tokenAttributes(over: Partial<ServiceAccountTokenAttributes> = {}): ServiceAccountTokenAttributes {
  return { serviceAccountTokenAudience: 'aud', cacheType: 'Token', requireServiceAccount: true, requiredServiceAccountAnnotationKeys: [], optionalServiceAccountAnnotationKeys: [], ...over };
}
const messageOf = (providers: CredentialProvider[], rules: ValidationRules = v134): string => aggregateMessage(validateCredentialProviderConfig({ providers }, rules));

const QUALIFIED = "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

// Exact strings: k/k pkg/credentialprovider/plugin/config_test.go (reference §1.5).
describe('validateCredentialProviderConfig: kubelet rules and exact messages', () => {
  const cases: [string, CredentialProvider[], string][] = [
    ['no providers', [], 'providers: Required value: at least 1 item in plugins is required'],
    ['name with /', [provider({ name: 'foo/../bar' })], `providers.name: Invalid value: "foo/../bar": provider name cannot contain '/'`],
    ['name with space', [provider({ name: 'foo bar' })], 'providers.name: Invalid value: "foo bar": provider name cannot contain spaces'],
    ['name .', [provider({ name: '.' })], `providers.name: Invalid value: ".": provider name cannot be '.'`],
    ['name ..', [provider({ name: '..' })], `providers.name: Invalid value: "..": provider name cannot be '..'`],
    ['duplicate name', [provider(), provider()], 'providers.name: Duplicate value: "foobar"'],
    ['apiVersion empty', [provider({ apiVersion: '' })], 'providers.apiVersion: Required value'],
    [
      'apiVersion unknown',
      [provider({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1alpha0' })],
      'providers.apiVersion: Unsupported value: "credentialprovider.kubelet.k8s.io/v1alpha0": supported values: "credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1alpha1", "credentialprovider.kubelet.k8s.io/v1beta1"',
    ],
    ['matchImages empty', [provider({ matchImages: [] })], 'providers.matchImages: Required value: at least 1 item in matchImages is required'],
    ['matchImages unparsable', [provider({ matchImages: ['%invalid%'] })], 'providers.matchImages: Invalid value: "%invalid%": match image is invalid: parse "https://%invalid%": invalid URL escape "%in"'],
    ['defaultCacheDuration nil', [provider({ defaultCacheDuration: undefined })], 'providers.defaultCacheDuration: Required value'],
    ['defaultCacheDuration < 0', [provider({ defaultCacheDuration: -MINUTE })], 'providers.defaultCacheDuration: Invalid value: "-1m0s": must be greater than or equal to 0'],
    ['audience empty', [provider({ tokenAttributes: tokenAttributes({ serviceAccountTokenAudience: '' }) })], 'providers.tokenAttributes.serviceAccountTokenAudience: Required value'],
    ['requireServiceAccount nil', [provider({ tokenAttributes: tokenAttributes({ requireServiceAccount: undefined }) })], 'providers.tokenAttributes.requireServiceAccount: Required value'],
    [
      'tokenAttributes with a v1beta1 plugin',
      [provider({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1', tokenAttributes: tokenAttributes() })],
      'providers.tokenAttributes: Forbidden: tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1 API version',
    ],
    [
      'required keys with requireServiceAccount false',
      [provider({ tokenAttributes: tokenAttributes({ requireServiceAccount: false, requiredServiceAccountAnnotationKeys: ['now-with-dashes/simple'] }) })],
      'providers.tokenAttributes.requiredServiceAccountAnnotationKeys: Forbidden: requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set',
    ],
    [
      'required key not a qualified name',
      [provider({ tokenAttributes: tokenAttributes({ requiredServiceAccountAnnotationKeys: ['cantendwithadash-'] }) })],
      `providers.tokenAttributes.requiredServiceAccountAnnotationKeys: Invalid value: "cantendwithadash-": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character ${QUALIFIED}`,
    ],
    [
      'optional key not a qualified name',
      [provider({ tokenAttributes: tokenAttributes({ optionalServiceAccountAnnotationKeys: ['cantendwithadash-'] }) })],
      `providers.tokenAttributes.optionalServiceAccountAnnotationKeys: Invalid value: "cantendwithadash-": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character ${QUALIFIED}`,
    ],
    [
      'duplicate required key',
      [provider({ tokenAttributes: tokenAttributes({ requiredServiceAccountAnnotationKeys: ['now-with-dashes/simple', 'now-with-dashes/simple'] }) })],
      'providers.tokenAttributes.requiredServiceAccountAnnotationKeys: Duplicate value: "now-with-dashes/simple"',
    ],
    [
      'duplicate optional key',
      [provider({ tokenAttributes: tokenAttributes({ optionalServiceAccountAnnotationKeys: ['now-with-dashes/simple', 'now-with-dashes/simple'] }) })],
      'providers.tokenAttributes.optionalServiceAccountAnnotationKeys: Duplicate value: "now-with-dashes/simple"',
    ],
    [
      'key both required and optional',
      [provider({ tokenAttributes: tokenAttributes({ requiredServiceAccountAnnotationKeys: ['now-with-dashes/simple-1', 'now-with-dashes/simple-2'], optionalServiceAccountAnnotationKeys: ['now-with-dashes/simple-2'] }) })],
      'providers.tokenAttributes: Invalid value: ["now-with-dashes/simple-2"]: annotation keys cannot be both required and optional',
    ],
    [
      'cacheType empty (v1.34+)',
      [provider({ tokenAttributes: tokenAttributes({ cacheType: '' }) })],
      'providers.tokenAttributes.cacheType: Required value: cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token',
    ],
    [
      'cacheType invalid (v1.34+)',
      [provider({ tokenAttributes: tokenAttributes({ cacheType: 'invalid-cache-type' }) })],
      'providers.tokenAttributes.cacheType: Unsupported value: "invalid-cache-type": supported values: "ServiceAccount", "Token"',
    ],
  ];
  it.each(cases)('%s', (_name, providers, expected) => {
    expect(messageOf(providers)).toBe(expected);
  });

  it('accepts a valid v1.34 provider with tokenAttributes', () => {
    expect(validateCredentialProviderConfig({ providers: [provider({ tokenAttributes: tokenAttributes() })] }, v134)).toEqual([]);
  });

  it('forbids tokenAttributes when the KubeletServiceAccountTokenForCredentialProviders gate is off', () => {
    expect(messageOf([provider({ tokenAttributes: tokenAttributes() })], { ...v134, saTokenForCredentialProviders: false })).toBe(
      'providers.tokenAttributes: Forbidden: tokenAttributes is not supported when KubeletServiceAccountTokenForCredentialProviders feature gate is disabled',
    );
  });

  it('does not require cacheType on v1.33 (the field does not exist yet)', () => {
    expect(validateCredentialProviderConfig({ providers: [provider({ tokenAttributes: tokenAttributes({ cacheType: '' }) })] }, v133)).toEqual([]);
  });

  it('checks annotation keys case-insensitively, as kubelet lower-cases before IsQualifiedName', () => {
    expect(messageOf([provider({ tokenAttributes: tokenAttributes({ requiredServiceAccountAnnotationKeys: ['Domain.IO/Identity-ID'] }) })])).toBe('');
  });

  it('aggregates several errors as [a, b] behind kubelet\'s prefix', () => {
    const errors = validateCredentialProviderConfig({ providers: [provider({ apiVersion: '', defaultCacheDuration: undefined })] }, v134);
    expect(validationFailureMessage(errors)).toBe('failed to validate credential provider config: [providers.apiVersion: Required value, providers.defaultCacheDuration: Required value]');
  });
});

describe('reading a config like kubelet (file, directory, strict decoding per minor)', () => {
  let dir: string;
  const v1Provider = (name: string, tokenAttrs = ''): string => `- name: ${name}
  matchImages: ["registry.pullproof.test:5000"]
  defaultCacheDuration: 10m
  apiVersion: credentialprovider.kubelet.k8s.io/v1
${tokenAttrs}`;
  const config = (version: string, providers: string): string => `apiVersion: kubelet.config.k8s.io/${version}\nkind: CredentialProviderConfig\nproviders:\n${providers}`;
  const withCacheType = '  tokenAttributes:\n    serviceAccountTokenAudience: pullproof-registry\n    requireServiceAccount: true\n    cacheType: Token\n';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pullproof-cpconfig-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('rejects cacheType on v1.33 as an unknown field (strict decoding) and accepts it on v1.34', async () => {
    const path = await write('cachetype.yaml', config('v1', v1Provider('p', withCacheType)));
    // v1.33 config.go (id 593615468): `fmt.Errorf("error decoding config %s: %w", …)`: the path unquoted.
    await expect(loadKubeletCredentialProviderConfig(path, kubeletRules('1.33', { KubeletServiceAccountTokenForCredentialProviders: true }))).rejects.toThrow(
      `error decoding config ${path}: strict decoding error: unknown field "providers[0].tokenAttributes.cacheType"`,
    );
    const ok = await loadKubeletCredentialProviderConfig(path, kubeletRules('1.34'));
    expect(ok.providers[0]?.tokenAttributes?.cacheType).toBe('Token');
  });

  it('requires cacheType on v1.34 with kubelet\'s full startup message', async () => {
    const path = await write('nocachetype.yaml', config('v1', v1Provider('p', '  tokenAttributes:\n    serviceAccountTokenAudience: a\n    requireServiceAccount: true\n')));
    const error = await loadKubeletCredentialProviderConfig(path, kubeletRules('1.34')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeletConfigRejectedError);
    expect((error as KubeletConfigRejectedError).kubeletMessage).toBe(
      'failed to validate credential provider config: providers.tokenAttributes.cacheType: Required value: cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token',
    );
  });

  it('rejects tokenAttributes on 1.33 when the alpha gate is left at its default (off)', async () => {
    const path = await write('gateoff.yaml', config('v1', v1Provider('p', '  tokenAttributes:\n    serviceAccountTokenAudience: a\n    requireServiceAccount: true\n')));
    await expect(loadKubeletCredentialProviderConfig(path, kubeletRules('1.33'))).rejects.toThrow(
      'providers.tokenAttributes: Forbidden: tokenAttributes is not supported when KubeletServiceAccountTokenForCredentialProviders feature gate is disabled',
    );
  });

  it('treats tokenAttributes in a v1beta1 config file as an unknown field', async () => {
    const path = await write('beta.yaml', config('v1beta1', v1Provider('p', withCacheType)));
    await expect(loadKubeletCredentialProviderConfig(path, kubeletRules('1.34'))).rejects.toThrow('strict decoding error: unknown field "providers[0].tokenAttributes"');
  });

  it('names a wrong kind the way the apimachinery scheme does', async () => {
    const path = await write('kind.yaml', 'apiVersion: kubelet.config.k8s.io/v1\nkind: WrongKind\nproviders: []\n');
    await expect(readCredentialProviderConfig(path, { cacheTypeField: true })).rejects.toThrow('no kind "WrongKind" is registered for version "kubelet.config.k8s.io/v1"');
  });

  it('merges a directory of *.yaml/*.json in lexicographic order, ignoring other files, and rejects duplicate names across files', async () => {
    const sub = join(dir, 'merged');
    await mkdir(sub);
    await writeFile(join(sub, 'config-001.yaml'), config('v1', v1Provider('b')));
    await writeFile(join(sub, 'config-002.txt'), 'not a config');
    await writeFile(join(sub, 'config-003.json'), JSON.stringify({ apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers: [{ name: 'a', matchImages: ['x.io'], defaultCacheDuration: '1m', apiVersion: 'credentialprovider.kubelet.k8s.io/v1' }] }));
    const merged = await readCredentialProviderConfig(sub, { cacheTypeField: true });
    expect(merged.providers.map((p) => p.name)).toEqual(['b', 'a']);
    expect(merged.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    await writeFile(join(sub, 'config-004.yaml'), config('v1', v1Provider('b')));
    await expect(readCredentialProviderConfig(sub, { cacheTypeField: true })).rejects.toThrow('duplicate provider name "b" found in configuration file(s)');
  });

  it('reports an empty directory and a missing path with kubelet\'s messages', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await expect(readCredentialProviderConfig(empty, { cacheTypeField: true })).rejects.toThrow(`no configuration files found in directory "${empty}"`);
    const missing = join(dir, 'missing.yaml');
    const error = await readCredentialProviderConfig(missing, { cacheTypeField: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialProviderConfigError);
    expect((error as CredentialProviderConfigError).kubeletMessage).toMatch(new RegExp(`^unable to access path "${missing}": `));
  });

  it('rejects an unparsable defaultCacheDuration with Go\'s time.ParseDuration text', async () => {
    const path = await write('duration.yaml', config('v1', '- name: p\n  matchImages: ["x.io"]\n  defaultCacheDuration: ten\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n'));
    await expect(readCredentialProviderConfig(path, { cacheTypeField: true })).rejects.toThrow('time: invalid duration "ten"');
  });
});

describe('isQualifiedName (apimachinery validation.go, messages verbatim)', () => {
  const QUALIFIED_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  const DNS_SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

  it('accepts a name of 63 characters and a prefix of 253', () => {
    expect(isQualifiedName('a'.repeat(63))).toEqual([]);
    expect(isQualifiedName(`${'a'.repeat(253)}/name`)).toEqual([]);
  });

  it('refuses a name over 63 characters, in bytes for the v0.35 label-key wording', () => {
    expect(isQualifiedName('a'.repeat(64))).toEqual(['name part must be no more than 63 characters']);
    expect(isQualifiedName('a'.repeat(64), 'label-key')).toEqual(['name part must be no more than 63 bytes']);
  });

  it('refuses an empty name part', () => {
    expect(isQualifiedName('example.com/')).toEqual(['name part must be non-empty', `name part ${QUALIFIED_MSG} ${QUALIFIED}`]);
  });

  it('refuses an empty prefix, a prefix over 253 characters and a prefix that is no DNS subdomain', () => {
    expect(isQualifiedName('/name')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName(`${'a'.repeat(254)}/name`)).toEqual(['prefix part must be no more than 253 characters']);
    expect(isQualifiedName(`${'a'.repeat(254)}/name`, 'label-key')).toEqual(['prefix part must be no more than 253 bytes']);
    expect(isQualifiedName('Example.com/name')).toEqual([`prefix part ${DNS_SUBDOMAIN}`]);
  });

  it('refuses more than one slash, as "a qualified name" or (v0.35) "a valid label key"', () => {
    const tail = `${QUALIFIED_MSG} ${QUALIFIED} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`;
    expect(isQualifiedName('a/b/c')).toEqual([`a qualified name ${tail}`]);
    expect(isQualifiedName('a/b/c', 'label-key')).toEqual([`a valid label key ${tail}`]);
  });
});

describe('validateCredentialProviderConfig edge values', () => {
  const goSyntax: ValidationRules = { ...v133, messages: { configGo: 'v1.33', valueRendering: 'go-syntax', annotationKeys: 'qualified-name' } };
  const both = tokenAttributes({ cacheType: '', requiredServiceAccountAnnotationKeys: ['b.io/k', 'a.io/k'], optionalServiceAccountAnnotationKeys: ['a.io/k', 'b.io/k'] });

  it('renders the keys that are both required and optional sorted, as JSON (v0.34+) or %#v (≤ v0.33)', () => {
    expect(messageOf([provider({ tokenAttributes: { ...both, cacheType: 'Token' } })])).toBe(
      'providers.tokenAttributes: Invalid value: ["a.io/k","b.io/k"]: annotation keys cannot be both required and optional',
    );
    expect(messageOf([provider({ tokenAttributes: both })], goSyntax)).toBe(
      'providers.tokenAttributes: Invalid value: []string{"a.io/k", "b.io/k"}: annotation keys cannot be both required and optional',
    );
  });

  it('accepts a defaultCacheDuration of 0', () => {
    expect(validateCredentialProviderConfig({ providers: [provider({ defaultCacheDuration: 0 })] }, v134)).toEqual([]);
  });

  it('accepts requireServiceAccount false when no annotation key is required', () => {
    expect(validateCredentialProviderConfig({ providers: [provider({ tokenAttributes: tokenAttributes({ requireServiceAccount: false }) })] }, v134)).toEqual([]);
  });

  it('parses matchImages with the strict IP-literal rule unless the release says otherwise', () => {
    const bracketed = [provider({ matchImages: ['x[::1]'] })];
    expect(messageOf(bracketed)).toBe('providers.matchImages: Invalid value: "x[::1]": match image is invalid: parse "https://x[::1]": invalid IP-literal');
    expect(messageOf(bracketed, { ...v134, strictIPLiteral: false })).toBe(
      'providers.matchImages: Invalid value: "x[::1]": match image is invalid: parse "https://x[::1]": invalid port ":1]" after host',
    );
  });
});
