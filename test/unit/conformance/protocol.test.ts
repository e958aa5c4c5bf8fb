import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CredentialProvider } from '../../../harness/conformance/config.ts';
import { cacheKey, serviceAccountCacheKey } from '../../../harness/conformance/cache-key.ts';
import { kubeletRules } from '../../../harness/conformance/kubelet-rules.ts';
import { evaluateResponse, planInvocation, type PodIdentity } from '../../../harness/conformance/provide.ts';
import { CACHE_KEY_TYPES, decodeResponse, duplicateJsonKeys, encodeRequest, ResponseRejectedError } from '../../../harness/conformance/protocol.ts';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

const provider = (over: Partial<CredentialProvider> = {}): CredentialProvider => ({
  name: 'p',
  matchImages: ['registry.pullproof.test:5000'],
  defaultCacheDuration: 600e9,
  apiVersion: V1,
  args: [],
  env: [],
  tokenAttributes: {
    serviceAccountTokenAudience: 'pullproof-registry',
    cacheType: 'ServiceAccount',
    requireServiceAccount: true,
    requiredServiceAccountAnnotationKeys: ['pullproof.dev/role'],
    optionalServiceAccountAnnotationKeys: ['pullproof.dev/optional'],
  },
  ...over,
});
const pod = (over: Partial<PodIdentity> = {}): PodIdentity => ({
  namespace: 'team-a',
  podName: 'app',
  podUid: 'pod-uid',
  serviceAccountName: 'builder',
  serviceAccountUid: 'sa-uid',
  serviceAccountAnnotations: { 'pullproof.dev/role': 'team-a-pull', 'unlisted.io/secret': 'x' },
  ...over,
});
const IMAGE = 'registry.pullproof.test:5000/team-a/app:v1';
const response = (over: Record<string, unknown> = {}): string => JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderResponse', cacheKeyType: 'Registry', cacheDuration: '5m', auth: { 'registry.pullproof.test:5000': { username: 'u', password: 'p' } }, ...over });

describe('request encoding (kubelet → plugin stdin)', () => {
  it('writes kind, apiVersion, image, token and sorted annotations, newline-terminated, for v1', () => {
    expect(encodeRequest(V1, IMAGE, TOKEN, { 'z.io/b': '2', 'a.io/a': '1' })).toBe(
      `{"kind":"CredentialProviderRequest","apiVersion":"${V1}","image":"${IMAGE}","serviceAccountToken":"${TOKEN}","serviceAccountAnnotations":{"a.io/a":"1","z.io/b":"2"}}\n`,
    );
  });
  it('omits token and annotations for v1beta1 plugins, and empty ones for v1', () => {
    expect(encodeRequest('credentialprovider.kubelet.k8s.io/v1beta1', IMAGE, TOKEN, { a: '1' })).toBe(`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","image":"${IMAGE}"}\n`);
    expect(encodeRequest(V1, IMAGE, '', {})).toBe(`{"kind":"CredentialProviderRequest","apiVersion":"${V1}","image":"${IMAGE}"}\n`);
  });
});

describe('response decoding (plugin stdout → kubelet), exact kubelet errors', () => {
  const rejected = (stdout: string, expected = V1): ResponseRejectedError => {
    try {
      decodeResponse(stdout, expected);
    } catch (error) {
      if (error instanceof ResponseRejectedError) return error;
      throw error;
    }
    throw new Error('expected a rejection');
  };
  it('rejects an apiVersion different from the configured one', () => {
    expect(rejected(response({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' })).kubeletMessage).toBe(
      `apiVersion from credential plugin response did not match expected apiVersion:${V1}, actual apiVersion:credentialprovider.kubelet.k8s.io/v1beta1`,
    );
  });
  it('rejects empty or non-JSON stdout while reading the GVK', () => {
    expect(rejected('').kubeletMessage).toBe('error reading GVK from response: unexpected end of JSON input');
    expect(rejected('hello').kubeletMessage).toBe("error reading GVK from response: invalid character 'h' looking for beginning of value");
  });
  it('does not wrap decode errors (they may hold credentials) but explains them in detail', () => {
    const wrongKind = rejected(response({ kind: 'CredentialProviderRequest' }));
    expect(wrongKind.kubeletMessage).toBe('error decoding credential provider plugin response from stdout');
    expect(wrongKind.detail).toBe('failed to decode CredentialProviderResponse, unexpected Kind: "CredentialProviderRequest"');
    expect(rejected(response({ extra: 1 })).detail).toBe('strict decoding error: unknown field "extra"');
    expect(rejected(response({ cacheDuration: 300 })).kubeletMessage).toBe('error decoding credential provider plugin response from stdout');
  });
  it('decodes a valid response', () => {
    const r = decodeResponse(response(), V1);
    expect(r.cacheKeyType).toBe('Registry');
    expect(r.cacheDuration).toBe(300e9);
    expect(r.auth).toEqual([['registry.pullproof.test:5000', { username: 'u', password: 'p' }]]);
  });
});

describe('service-account rules before exec (plugin.go provide)', () => {
  const rules = kubeletRules('1.34');
  it('does not consult a provider whose matchImages miss the image', () => {
    expect(planInvocation(provider(), 'other.io/app', pod(), rules)).toMatchObject({ invoke: false, reason: 'image-not-matched' });
  });
  it('does not invoke the plugin for a pod without a service account when requireServiceAccount is true', () => {
    expect(planInvocation(provider(), IMAGE, pod({ serviceAccountName: '' }), rules)).toEqual({
      invoke: false,
      reason: 'service-account-required',
      kubeletLog: 'Service account name is empty for pod team-a/app',
    });
  });
  it('invokes without a token when requireServiceAccount is false and the pod has no service account', () => {
    const p = provider({ tokenAttributes: { ...provider().tokenAttributes!, requireServiceAccount: false, requiredServiceAccountAnnotationKeys: [] } });
    expect(planInvocation(p, IMAGE, pod({ serviceAccountName: '' }), rules)).toEqual({ invoke: true, audience: undefined, annotations: {}, serviceAccountMode: true });
  });
  it('does not invoke the plugin when a required annotation is missing', () => {
    expect(planInvocation(provider(), IMAGE, pod({ serviceAccountAnnotations: {} }), rules)).toEqual({
      invoke: false,
      reason: 'required-annotation-missing',
      kubeletLog: 'Failed to get service account data team-a/builder: required annotation pullproof.dev/role not found',
    });
  });
  it('sends only the listed annotations that are present', () => {
    const plan = planInvocation(provider(), IMAGE, pod(), rules);
    expect(plan).toEqual({ invoke: true, audience: 'pullproof-registry', annotations: { 'pullproof.dev/role': 'team-a-pull' }, serviceAccountMode: true });
  });
  it('ignores tokenAttributes when the gate is off (no token sent)', () => {
    expect(planInvocation(provider(), IMAGE, pod(), kubeletRules('1.33'))).toEqual({ invoke: true, audience: undefined, annotations: {}, serviceAccountMode: false });
  });
});

describe('response checks after exec, and cache keys', () => {
  const ctx = (minor: string, cacheType: string) => {
    const p = provider({ tokenAttributes: { ...provider().tokenAttributes!, cacheType } });
    const rules = kubeletRules(minor, { KubeletServiceAccountTokenForCredentialProviders: true });
    const plan = planInvocation(p, IMAGE, pod(), rules);
    if (!plan.invoke) throw new Error('expected invoke');
    return { image: IMAGE, provider: p, pod: pod(), plan, serviceAccountToken: TOKEN, rules };
  };
  const echoed = decodeResponse(response({ auth: { 'registry.pullproof.test:5000': { username: 'sa', password: TOKEN } } }), V1);

  it('v1.34+: drops credentials that echo the token when cacheType is not Token', () => {
    expect(evaluateResponse(echoed, ctx('1.34', 'ServiceAccount'))).toEqual({
      accepted: false,
      reason: 'token-echoed',
      kubeletLog: `Credential provider plugin returned the service account token as the password for image "${IMAGE}", which is not allowed when service account cache type is not set to 'Token'`,
    });
  });
  it('v1.34+: accepts an echoed token with cacheType Token, keyed per token hash', () => {
    const verdict = evaluateResponse(echoed, ctx('1.34', 'Token'));
    expect(verdict.accepted).toBe(true);
    if (!verdict.accepted) return;
    const hash = `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`;
    expect(verdict.cache.keyParts).toContain(`token=${hash}`);
    const expected = cacheKey('registry.pullproof.test:5000', serviceAccountCacheKey({ namespace: 'team-a', serviceAccountName: 'builder', serviceAccountUid: 'sa-uid', annotations: { 'pullproof.dev/role': 'team-a-pull' }, cacheType: 'Token', serviceAccountToken: TOKEN }));
    expect(verdict.cache.keyHex).toBe(expected.toString('hex'));
  });
  it('v1.33: has no echo check', () => {
    expect(evaluateResponse(echoed, ctx('1.33', '')).accepted).toBe(true);
  });
  it('drops a response with an invalid cacheKeyType', () => {
    expect(evaluateResponse(decodeResponse(response({ cacheKeyType: 'Pod' }), V1), ctx('1.34', 'ServiceAccount'))).toMatchObject({
      accepted: false,
      kubeletLog: 'credential provider plugin did not return a valid cacheKeyType: "Pod"',
    });
  });
  it('uses defaultCacheDuration when cacheDuration is unset and does not cache when it is 0', () => {
    const unset = evaluateResponse(decodeResponse(response({ cacheDuration: undefined }), V1), ctx('1.34', 'ServiceAccount'));
    expect(unset.accepted && unset.cache.durationText).toBe('10m0s');
    const zero = evaluateResponse(decodeResponse(response({ cacheDuration: '0s' }), V1), ctx('1.34', 'ServiceAccount'));
    expect(zero.accepted && zero.cache.cached).toBe(false);
  });
  it('builds kubelet\'s cryptobyte key: uint16-length-prefixed base key then SA key', () => {
    expect(cacheKey('<global>', undefined).toString('hex')).toBe(`0008${Buffer.from('<global>').toString('hex')}0000`);
    const sa = serviceAccountCacheKey({ namespace: 'ns', serviceAccountName: 'sa', serviceAccountUid: 'u', annotations: { b: '2', a: '1' }, cacheType: 'ServiceAccount', serviceAccountToken: TOKEN });
    expect(sa.toString('hex')).toBe(['00026e73', '00027361', '000175', '00000002', '000161', '000131', '000162', '000132'].join(''));
  });
  it('keys Global responses under "<global>" on v1.34+ and "global" on v1.33', () => {
    const g134 = evaluateResponse(decodeResponse(response({ cacheKeyType: 'Global' }), V1), ctx('1.34', 'ServiceAccount'));
    const g133 = evaluateResponse(decodeResponse(response({ cacheKeyType: 'Global' }), V1), ctx('1.33', ''));
    expect(g134.accepted && g134.cache.baseKey).toBe('<global>');
    expect(g133.accepted && g133.cache.baseKey).toBe('global');
  });
});

describe('response decoding: every rejection in kubelet\'s words (plugin.go ExecPlugin/decodeResponse)', () => {
  const rejectedBy = (stdout: string): { kubeletMessage: string; detail: string } => {
    try {
      decodeResponse(stdout, V1);
    } catch (error) {
      if (error instanceof ResponseRejectedError) return { kubeletMessage: error.kubeletMessage, detail: error.detail };
      throw error;
    }
    throw new Error('expected a rejection');
  };
  const decodeFailed = (detail: string) => ({ kubeletMessage: 'error decoding credential provider plugin response from stdout', detail });
  const body = (over: Record<string, unknown>): string => JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderResponse', ...over });
  const GVK_STRUCT = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

  it('knows the three cacheKeyTypes of the v1 API', () => {
    expect(CACHE_KEY_TYPES).toStrictEqual(['Image', 'Registry', 'Global']);
  });
  it('names the error and puts the detail after kubelet\'s message, or kubelet\'s message alone', () => {
    const withDetail = new ResponseRejectedError('kubelet said', 'because');
    expect([withDetail.name, withDetail.message, withDetail.kubeletMessage, withDetail.detail]).toStrictEqual(['ResponseRejectedError', 'kubelet said (because)', 'kubelet said', 'because']);
    expect(new ResponseRejectedError('kubelet said', '').message).toBe('kubelet said');
  });
  it('words JSON syntax errors as encoding/json does', () => {
    const notJson = (message: string) => ({ kubeletMessage: `error reading GVK from response: ${message}`, detail: 'stdout is not a JSON object' });
    expect(rejectedBy(' \n\t')).toStrictEqual(notJson('unexpected end of JSON input'));
    expect(rejectedBy("'x'")).toStrictEqual(notJson("invalid character '\\'' looking for beginning of value"));
    expect(rejectedBy('  hello')).toStrictEqual(notJson("invalid character 'h' looking for beginning of value"));
    expect(rejectedBy('{bad')).toStrictEqual(notJson('invalid JSON'));
  });
  it('rejects JSON that is not an object while reading the GVK', () => {
    const notObject = (type: string) => ({ kubeletMessage: `error reading GVK from response: json: cannot unmarshal ${type} into Go value of type ${GVK_STRUCT}`, detail: 'stdout is not a JSON object' });
    expect(rejectedBy('[1]')).toStrictEqual(notObject('array'));
    expect(rejectedBy('"s"')).toStrictEqual(notObject('string'));
    expect(rejectedBy('42')).toStrictEqual(notObject('number'));
    expect(rejectedBy('true')).toStrictEqual(notObject('boolean'));
  });
  it('rejects a non-string apiVersion or kind while reading the GVK', () => {
    expect(rejectedBy(body({ apiVersion: 5 }))).toStrictEqual({ kubeletMessage: 'error reading GVK from response: json: cannot unmarshal number into Go struct field .apiVersion of type string', detail: 'apiVersion must be a string' });
    expect(rejectedBy(body({ kind: ['x'] }))).toStrictEqual({ kubeletMessage: 'error reading GVK from response: json: cannot unmarshal array into Go struct field .kind of type string', detail: 'kind must be a string' });
    expect(rejectedBy(body({ kind: true }))).toStrictEqual({ kubeletMessage: 'error reading GVK from response: json: cannot unmarshal boolean into Go struct field .kind of type string', detail: 'kind must be a string' });
  });
  it('reads a null or missing apiVersion as "" and reports the mismatch', () => {
    const mismatch = { kubeletMessage: `apiVersion from credential plugin response did not match expected apiVersion:${V1}, actual apiVersion:`, detail: 'the plugin must answer in the apiVersion the config names' };
    expect(rejectedBy(body({ apiVersion: null }))).toStrictEqual(mismatch);
    expect(rejectedBy(JSON.stringify({ kind: 'CredentialProviderResponse' }))).toStrictEqual(mismatch);
  });
  it('fails the decode when kind is null, missing or not a registered kind', () => {
    expect(rejectedBy(body({ kind: null }))).toStrictEqual(decodeFailed("Object 'Kind' is missing"));
    expect(rejectedBy(JSON.stringify({ apiVersion: V1 }))).toStrictEqual(decodeFailed("Object 'Kind' is missing"));
    expect(rejectedBy(body({ kind: 'Foo' }))).toStrictEqual(decodeFailed(`no kind "Foo" is registered for version "${V1}"`));
  });
  it('fails the strict decode on duplicate fields and unknown fields, listing each', () => {
    const dup = `{"apiVersion":"${V1}","kind":"CredentialProviderResponse","cacheKeyType":"Image","cacheKeyType":"Image","auth":{"r.io":null,"r.io":null}}`;
    expect(rejectedBy(dup)).toStrictEqual(decodeFailed('strict decoding error: duplicate field "cacheKeyType", duplicate field "auth[r.io]"'));
    expect(rejectedBy(body({ extra: 1, other: 2 }))).toStrictEqual(decodeFailed('strict decoding error: unknown field "extra", unknown field "other"'));
  });
  it('rejects a cacheKeyType or cacheDuration of the wrong type or an unparsable duration', () => {
    expect(rejectedBy(body({ cacheKeyType: 5 }))).toStrictEqual(decodeFailed('cacheKeyType must be a string'));
    expect(rejectedBy(body({ cacheDuration: 300 }))).toStrictEqual(decodeFailed('cacheDuration must be a Go duration string such as "5m0s"'));
    expect(rejectedBy(body({ cacheDuration: 'abc' }))).toStrictEqual(decodeFailed('cacheDuration: time: invalid duration "abc"'));
  });
  it('rejects an auth that is not an object, and entries that are not objects', () => {
    expect(rejectedBy(body({ auth: [] }))).toStrictEqual(decodeFailed('auth must be an object keyed by match-image pattern'));
    expect(rejectedBy(body({ auth: 'x' }))).toStrictEqual(decodeFailed('auth must be an object keyed by match-image pattern'));
    expect(rejectedBy(body({ auth: { 'r.io': 'x' } }))).toStrictEqual(decodeFailed('auth["r.io"] must be an object with username and password'));
    expect(rejectedBy(body({ auth: { 'r.io': [] } }))).toStrictEqual(decodeFailed('auth["r.io"] must be an object with username and password'));
  });
  it('rejects unknown fields and non-string credentials in an auth entry', () => {
    expect(rejectedBy(body({ auth: { 'r.io': { username: 'u', token: 't', password: 'p', x: 1 } } }))).toStrictEqual(decodeFailed('strict decoding error: unknown field "auth[r.io].token", unknown field "auth[r.io].x"'));
    expect(rejectedBy(body({ auth: { 'r.io': { username: 5 } } }))).toStrictEqual(decodeFailed('auth["r.io"].username must be a string'));
    expect(rejectedBy(body({ auth: { 'r.io': { username: 'u', password: {} } } }))).toStrictEqual(decodeFailed('auth["r.io"].password must be a string'));
  });
  it('decodes a minimal response: no cacheKeyType, cacheDuration or auth', () => {
    expect(decodeResponse(body({}), V1)).toStrictEqual({ apiVersion: V1, kind: 'CredentialProviderResponse', cacheKeyType: '', cacheDuration: undefined, auth: [] });
    expect(decodeResponse(body({ cacheKeyType: null, cacheDuration: null, auth: null }), V1)).toStrictEqual({ apiVersion: V1, kind: 'CredentialProviderResponse', cacheKeyType: '', cacheDuration: undefined, auth: [] });
  });
  it('decodes null, empty and partial auth entries as empty strings, in the plugin\'s order', () => {
    const stdout = body({ cacheKeyType: 'Image', cacheDuration: '1h1s', auth: { 'b.io': null, 'a.io': {}, 'c.io': { username: 'u', password: null }, 'd.io': { password: 'p' } } });
    expect(decodeResponse(stdout, V1)).toStrictEqual({
      apiVersion: V1,
      kind: 'CredentialProviderResponse',
      cacheKeyType: 'Image',
      cacheDuration: 3601e9,
      auth: [
        ['b.io', { username: '', password: '' }],
        ['a.io', { username: '', password: '' }],
        ['c.io', { username: 'u', password: '' }],
        ['d.io', { username: '', password: 'p' }],
      ],
    });
  });
});

describe('duplicate keys as the strict decoder sees them', () => {
  it('finds nothing in empty or whitespace-only text', () => {
    expect(duplicateJsonKeys('')).toStrictEqual([]);
    expect(duplicateJsonKeys(' \t\n\r')).toStrictEqual([]);
  });
  it('skips whitespace anywhere between tokens', () => {
    expect(duplicateJsonKeys(' {\n\t"a" :\r1 ,  "a"\t:\n{ "b" : 1 , "b":2 } , "e": { } ,"e":[ ] }')).toStrictEqual(['a', 'a.b', 'e']);
  });
  it('reads keys with escaped quotes and string values holding delimiters', () => {
    expect(duplicateJsonKeys('{"a\\"b":"x,}]\\" y","a\\"b":1}')).toStrictEqual(['a"b']);
  });
  it('skips numbers and literals to the next delimiter', () => {
    expect(duplicateJsonKeys('{"n":-1.5e3,"t":true,"f":false,"z":null,"n":12}')).toStrictEqual(['n']);
  });
  it('names auth entries by pattern and nested fields by path', () => {
    expect(duplicateJsonKeys('{"auth":{"r.io":{"username":"u","username":"v"},"r.io":null},"Stryker was here!":{"k":{"z":1,"z":2}}}')).toStrictEqual(['auth[r.io].username', 'auth[r.io]', 'Stryker was here!.k.z']);
  });
  it('walks arrays, numbering their elements', () => {
    expect(duplicateJsonKeys('{"a":[ {"k":1,"k":2} , 7, [], {"k":1,"k":2}],"a":[]}')).toStrictEqual(['a[0].k', 'a[3].k', 'a']);
    expect(duplicateJsonKeys('[[],[{"k":1,"k":2}]]')).toStrictEqual(['[1][0].k']);
  });
  it('throws on an unterminated string rather than running past the end', () => {
    expect(() => duplicateJsonKeys('{"a')).toThrow(SyntaxError);
  });
});
