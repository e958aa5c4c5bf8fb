import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialProvider, ServiceAccountTokenAttributes } from '../../../harness/conformance/config.ts';
import { kubeletRules } from '../../../harness/conformance/kubelet-rules.ts';
import { loadKubeletCredentialProviderConfig } from '../../../harness/conformance/runner.ts';
import { aggregateMessage, isQualifiedName, validateCredentialProviderConfig } from '../../../harness/conformance/validate.ts';

/**
 * The same invalid config, one kubelet minor at a time. Expected texts:
 * - 1.33: k/k pkg/credentialprovider/plugin/config_test.go v1.33 table (stored id 12350456), from
 *   config.go v1.33 (id 593615468) with apimachinery v0.33's %#v/Stringer ErrorBody;
 * - 1.34+: the newer config_test.go table (stored id 1915007072: bare `Required value`,
 *   `"-1m0s": must be …`, `["…"]`), apimachinery errors.go JSON ErrorBody (id 52463267211);
 * - annotation keys: apimachinery util/validation IsQualifiedName (≤ v0.34) vs v0.35
 *   content.IsLabelKey (kube.go id 55012769595, errors.go id 26202708864: "bytes").
 */
const MINUTE = 60e9;
const MINORS = ['1.33', '1.34', '1.35', '1.36', '1.37'] as const;
type Minor = (typeof MINORS)[number];
const per = (m133: string, m134: string, m135 = m134): Record<Minor, string> => ({ '1.33': m133, '1.34': m134, '1.35': m135, '1.36': m135, '1.37': m135 });

function provider(over: Partial<CredentialProvider> = {}): CredentialProvider {
  return { name: 'foobar', matchImages: ['foobar.registry.io'], defaultCacheDuration: MINUTE, apiVersion: 'credentialprovider.kubelet.k8s.io/v1', args: [], env: [], tokenAttributes: undefined, ...over };
}
function tokenAttributes(over: Partial<ServiceAccountTokenAttributes> = {}): ServiceAccountTokenAttributes {
  return { serviceAccountTokenAudience: 'audience', cacheType: 'Token', requireServiceAccount: true, requiredServiceAccountAnnotationKeys: [], optionalServiceAccountAnnotationKeys: [], ...over };
}

const QN_REGEX = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const KEYS = 'providers.tokenAttributes.requiredServiceAccountAnnotationKeys';

const rows: { name: string; providers: CredentialProvider[]; expected: Record<Minor, string> }[] = [
  {
    name: 'no apiVersion',
    providers: [provider({ apiVersion: '' })],
    expected: per('providers.apiVersion: Required value: apiVersion is required', 'providers.apiVersion: Required value'),
  },
  {
    name: 'no default cache duration provided',
    providers: [provider({ defaultCacheDuration: undefined })],
    expected: per('providers.defaultCacheDuration: Required value: defaultCacheDuration is required', 'providers.defaultCacheDuration: Required value'),
  },
  {
    name: 'negative default cache duration',
    providers: [provider({ defaultCacheDuration: -MINUTE })],
    expected: per('providers.defaultCacheDuration: Invalid value: -1m0s: defaultCacheDuration must be greater than or equal to 0', 'providers.defaultCacheDuration: Invalid value: "-1m0s": must be greater than or equal to 0'),
  },
  {
    name: 'token attributes not nil but empty ServiceAccountTokenAudience',
    providers: [provider({ tokenAttributes: tokenAttributes({ serviceAccountTokenAudience: '' }) })],
    expected: per('providers.tokenAttributes.serviceAccountTokenAudience: Required value: serviceAccountTokenAudience is required', 'providers.tokenAttributes.serviceAccountTokenAudience: Required value'),
  },
  {
    name: 'token attributes not nil but empty ServiceAccountTokenRequired',
    providers: [provider({ tokenAttributes: tokenAttributes({ requireServiceAccount: undefined }) })],
    expected: per('providers.tokenAttributes.requireServiceAccount: Required value: requireServiceAccount is required', 'providers.tokenAttributes.requireServiceAccount: Required value'),
  },
  {
    name: 'annotation key in required and optional keys',
    providers: [provider({ tokenAttributes: tokenAttributes({ requiredServiceAccountAnnotationKeys: ['now-with-dashes/simple-1', 'now-with-dashes/simple-2'], optionalServiceAccountAnnotationKeys: ['now-with-dashes/simple-2', 'now-with-dashes/simple-3'] }) })],
    expected: per(
      'providers.tokenAttributes: Invalid value: []string{"now-with-dashes/simple-2"}: annotation keys cannot be both required and optional',
      'providers.tokenAttributes: Invalid value: ["now-with-dashes/simple-2"]: annotation keys cannot be both required and optional',
    ),
  },
  {
    name: 'duplicate names (validation)',
    providers: [provider(), provider({ matchImages: ['bar.registry.io'] })],
    expected: per('providers.name: Duplicate value: "foobar"', 'providers.name: Duplicate value: "foobar"'),
  },
  {
    name: 'annotation key with two slashes (IsQualifiedName vs IsLabelKey)',
    providers: [provider({ tokenAttributes: tokenAttributes({ requiredServiceAccountAnnotationKeys: ['a/b/c'] }) })],
    expected: per(
      `${KEYS}: Invalid value: "a/b/c": a qualified name ${QN_REGEX} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      `${KEYS}: Invalid value: "a/b/c": a qualified name ${QN_REGEX} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      `${KEYS}: Invalid value: "a/b/c": a valid label key ${QN_REGEX} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ),
  },
  {
    name: 'annotation key name part longer than 63 (characters, then bytes)',
    providers: [provider({ tokenAttributes: tokenAttributes({ requiredServiceAccountAnnotationKeys: [`example.com/${'a'.repeat(64)}`] }) })],
    expected: per(
      `${KEYS}: Invalid value: "example.com/${'a'.repeat(64)}": name part must be no more than 63 characters`,
      `${KEYS}: Invalid value: "example.com/${'a'.repeat(64)}": name part must be no more than 63 characters`,
      `${KEYS}: Invalid value: "example.com/${'a'.repeat(64)}": name part must be no more than 63 bytes`,
    ),
  },
  {
    name: 'cacheType not supported, JSON-escaped (the field exists from 1.34)',
    providers: [provider({ tokenAttributes: tokenAttributes({ cacheType: 'a<b' }) })],
    expected: per('', 'providers.tokenAttributes.cacheType: Unsupported value: "a\\u003cb": supported values: "ServiceAccount", "Token"'),
  },
];

describe.each(MINORS)('kubelet %s validation messages', (minor) => {
  const rules = kubeletRules(minor, { KubeletServiceAccountTokenForCredentialProviders: true });
  it.each(rows)('$name', ({ providers, expected }) => {
    expect(aggregateMessage(validateCredentialProviderConfig({ providers }, rules))).toBe(expected[minor]);
  });
});

describe.each(MINORS)('kubelet %s reading the config path', (minor) => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `pullproof-cp-${minor}-`));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const rules = kubeletRules(minor);
  const one = (name: string): string =>
    `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- name: ${name}\n  matchImages: ["registry.io/one"]\n  defaultCacheDuration: 10m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n`;

  // v1.33 config.go readCredentialProviderConfigFile: os.ReadFile only (id 593615468); v1.34+
  // readCredentialProviderConfig reads a directory (config_test.go id 7191181009 "directory with …").
  it(minor === '1.33' ? 'refuses a directory (reads one file only)' : 'reads a directory of config files', async () => {
    const sub = join(dir, 'configs');
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, 'config-001.yaml'), one('test1'));
    if (minor === '1.33') {
      await expect(loadKubeletCredentialProviderConfig(sub, rules)).rejects.toMatchObject({
        kubeletMessage: `unable to read external registry credential provider configuration from "${sub}": read ${sub}: is a directory`,
      });
    } else {
      expect((await loadKubeletCredentialProviderConfig(sub, rules)).providers.map((p) => p.name)).toEqual(['test1']);
    }
  });

  // A file with the same name twice: v1.33 has no merge step, so validation reports it; v1.34+'s
  // merge loop runs for a single file too and stops before validation.
  it('reports a duplicate provider name the way this release does', async () => {
    const path = join(dir, 'dup.yaml');
    await writeFile(path, `${one('foobar')}- name: foobar\n  matchImages: ["bar.registry.io"]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n`);
    const expected = minor === '1.33' ? 'failed to validate credential provider config: providers.name: Duplicate value: "foobar"' : 'duplicate provider name "foobar" found in configuration file(s)';
    await expect(loadKubeletCredentialProviderConfig(path, rules)).rejects.toMatchObject({ kubeletMessage: expected });
  });
});

describe('IsQualifiedName lengths are Go len (UTF-8 bytes)', () => {
  it('counts a two-byte rune twice, in both wordings', () => {
    const name = `é${'a'.repeat(62)}`; // 63 UTF-16 units, 64 bytes
    expect(isQualifiedName(name, 'qualified-name')[0]).toBe('name part must be no more than 63 characters');
    expect(isQualifiedName(name, 'label-key')[0]).toBe('name part must be no more than 63 bytes');
  });
});
