import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { REDACTED, redactResults, redactText } from '../../../harness/results/redact.ts';
import { writeRunArtifacts } from '../../../harness/report/artifacts.ts';
import { renderHtmlReport } from '../../../harness/report/html.ts';
import { renderJUnit } from '../../../harness/report/junit.ts';
import { renderTerminalTable } from '../../../harness/report/terminal-table.ts';
import { singleRun, withPod } from './synthetic-results.ts';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YTpiIn0.c2lnbmF0dXJl';
const BASIC = Buffer.from('admin:hunter2-admin').toString('base64');

describe('redaction', () => {
  it.each([
    ['a JWT anywhere in text', `token for pod: ${JWT} (cached)`, `token for pod: ${REDACTED} (cached)`],
    ['a JSON password value', '{"username":"ppx","password":"s3cr3t-pw","expiresIn":300}', `{"username":"ppx","password":"${REDACTED}","expiresIn":300}`],
    ['JSON token keys', '{"token":"opaque-1","access_token":"opaque-2"}', `{"token":"${REDACTED}","access_token":"${REDACTED}"}`],
    ['form and query values', 'grant_type=password&password=pw123&refresh_token=rt-9', `grant_type=password&password=${REDACTED}&refresh_token=${REDACTED}`],
    ['YAML-ish values', 'client_secret: abc123', `client_secret: ${REDACTED}`],
    ['docker config auth', '{"auths":{"r:5443":{"auth":"YWRtaW46cHc="}}}', `{"auths":{"r:5443":{"auth":"${REDACTED}"}}}`],
    ['a Basic Authorization header', `Authorization: Basic ${BASIC}`, `Authorization: Basic ${REDACTED}`],
    ['a Bearer Authorization header in JSON', '"authorization": "Bearer opaque.token-value_1"', `"authorization": "Bearer ${REDACTED}"`],
    ['a bare Bearer credential', 'curl -H Bearer abcdefghijklmnop', `curl -H Bearer ${REDACTED}`],
    ['a bare Basic credential that decodes to user:password', `sent Basic ${BASIC} to registry`, `sent Basic ${REDACTED} to registry`],
    ["the token service's exchange credential (ppx_)", 'exchanged for ppx_9fK2mQ7vLx3RtY8wZp1A', `exchanged for ${REDACTED}`],
    ["the token service's refresh token (ppr_), bare", 'kept ppr_Q2xM8vT3nR5kY7wZ-_a for later', `kept ${REDACTED} for later`],
    ['a refresh token in a JSON log line under a neutral key', '{"value":"ppr_Q2xM8vT3nR5kY7wZ"}', `{"value":"${REDACTED}"}`],
    // An Authorization header is a credential whatever its value looks like: short, or Basic
    // without a colon, are missed by the bare Bearer/Basic rules, so only the header rule catches them.
    ['a short Bearer value in an Authorization header', 'Authorization: Bearer abc', `Authorization: Bearer ${REDACTED}`],
    ['a short Bearer value in a JSON Authorization field', '"authorization": "Bearer abc"', `"authorization": "Bearer ${REDACTED}"`],
    ['a Basic value without a colon in an Authorization header', 'Authorization : Basic dXNlcg==', `Authorization : Basic ${REDACTED}`],
    ['an Authorization flag with no spaces', '--header=authorization=Bearer abc', `--header=authorization=Bearer ${REDACTED}`],
    ['an Authorization header with two spaces before the value', 'Authorization: Bearer  abc', `Authorization: Bearer  ${REDACTED}`],
    ['a bare Bearer credential after two spaces', 'sent Bearer  abcdefghijkl', `sent Bearer  ${REDACTED}`],
    ['a bare Basic credential after two spaces', `sent Basic  ${BASIC}`, `sent Basic  ${REDACTED}`],
    ['an unquoted JSON password value (a number)', '{"password": 12345678}', `{"password": ${REDACTED}}`],
    ['a YAML list item with a secret key', '  - client_secret: abc123', `  - client_secret: ${REDACTED}`],
    ['a YAML flow mapping with no space after the colon', '{token:abc123}', `{token:${REDACTED}}`],
    ['a YAML value after two spaces', 'client_secret:  abc123', `client_secret:  ${REDACTED}`],
  ])('removes %s', (_what, input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    ['a Bearer challenge (where the client was sent)', 'Www-Authenticate: Bearer realm="https://172.18.0.1:5443/token",service="pullproof-registry"'],
    // A parameter name longer than a credential's 8-character minimum must still read as a parameter.
    ['a Bearer challenge whose first parameter has a long name', 'Www-Authenticate: Bearer authorization_uri="https://login.example/t",resource="r"'],
    ['prose about Basic authentication', 'Basic authentication is not accepted here'],
    ['config keys that merely contain "token"', 'serviceAccountTokenAudience: pullproof-registry, tokenAttributes:\n  cacheType: Token'],
    ["containerd's own words", 'failed to fetch oauth token: unexpected status from GET request to https://r:5443/token?scope=repository%3Aa%3Apull: 403 Forbidden'],
    ['scopes and repository names', 'requested=[repository:team-a/app:pull] granted=[]'],
    ['a credential prefix too short to be a credential', 'ppx_short and ppr_1234567'],
    ['a word that merely ends in ppr_', 'wrappr_abcdefghij'],
  ])('keeps %s readable', (_what, input) => {
    expect(redactText(input)).toBe(input);
  });

  it('is idempotent', () => {
    const once = redactText(`Authorization: Bearer ${JWT} password=x token: y`);
    expect(redactText(once)).toBe(once);
  });

  it('reaches the fault of an inconclusive pod and the commands and notes of scripted steps', () => {
    const withFault = withPod(singleRun(), '1.37', 'reader-a', (p) => ({ ...p, fault: { kind: 'server-error', name: 'token=fault-name-secret', evidence: 'password=fault-evidence-secret' } }));
    const results = {
      ...withFault,
      versions: withFault.versions.map((v, i) =>
        i !== 0
          ? v
          : {
              ...v,
              scenarios: v.scenarios.map((sc, j) =>
                j !== 0 ? sc : { ...sc, steps: [{ name: 'rotate', outcome: 'failed' as const, commands: [{ command: 'curl -H "Authorization: Bearer step-command-secret"', exitCode: 1, output: 'password=step-output-secret' }], note: 'token=step-note-secret' }] },
              ),
            },
      ),
    };
    const text = JSON.stringify(redactResults(results));
    for (const secret of ['fault-name-secret', 'fault-evidence-secret', 'step-command-secret', 'step-output-secret', 'step-note-secret']) {
      expect(JSON.stringify(results)).toContain(secret);
      expect(text).not.toContain(secret);
    }
  });

  it('adds no field the results did not have (an absent note, message, fault or steps stays absent)', () => {
    const paths = (value: unknown, at = ''): string[] =>
      typeof value !== 'object' || value === null ? [at] : Object.entries(value).flatMap(([key, item]) => [`${at}/${key}`, ...paths(item, `${at}/${key}`)]);
    const results = withPod(singleRun(), '1.37', 'reader-a', (p) => {
      const { note: _note, fault: _fault, ...rest } = p;
      return { ...rest, verdict: { kind: 'pulled' } };
    });
    const bare = { ...results, versions: results.versions.map((v) => ({ ...v, scenarios: v.scenarios.map(({ steps: _steps, ...sc }) => ({ ...sc, steps: [{ name: 's', outcome: 'done' as const, commands: [] }] })) })) };
    expect(paths(redactResults(bare)).sort()).toEqual(paths(bare).sort());
  });

  it('reaches every free-text field of the results', () => {
    const leaked = withPod(singleRun(), '1.37', 'reader-a', (p) => ({
      ...p,
      note: `password=${'n0te-secret'}`,
      verdict: { kind: 'pulled', message: JWT },
      annotations: { 'x/token': `token=annot-secret` },
      evidence: {
        events: [{ type: 'Warning', reason: 'Failed', message: `Authorization: Basic ${BASIC}` }],
        kubeletLog: [`"password":"kubelet-secret"`],
        audit: [{ time: 't', endpoint: 'token', subject: JWT, requestedScopes: [], grantedScopes: [], denyReason: 'token=deny-secret' }],
        trace: [`Bearer trace-secret-value`],
      },
    }));
    const text = JSON.stringify(redactResults(leaked));
    for (const secret of ['n0te-secret', JWT, 'annot-secret', BASIC, 'kubelet-secret', 'deny-secret', 'trace-secret-value']) expect(text).not.toContain(secret);
  });
});

describe('no output carries a secret from the synthetic results', () => {
  // The synthetic 1.34 mismatch quotes a kubelet request with a service-account token, an
  // exchange request's Authorization header and an exchange response with a password.
  const secrets = ['eyJhbGciOiJSUzI1NiIsImtpZCI6InBwLTEifQ', 'eyJhbGciOiJSUzI1NiJ9', 'ppx_9fK2mQ7vLx3RtY8wZp1A'];
  const results = singleRun();

  it('the synthetic results really contain them (so this test can fail)', () => {
    const raw = JSON.stringify(results);
    for (const secret of secrets) expect(raw).toContain(secret);
  });

  it.each([
    ['JUnit', (): string => renderJUnit(results)],
    ['HTML', (): string => renderHtmlReport(results)],
    ['terminal table', (): string => renderTerminalTable(results, { color: false })],
  ])('%s', (_name, render) => {
    const out = render();
    for (const secret of secrets) expect(out).not.toContain(secret);
  });

  it('the artifacts directory (results.json, junit.xml, report.html, audit.jsonl)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pullproof-artifacts-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const paths = await writeRunArtifacts(results, { root, audit: [{ endpoint: 'token', note: `Authorization: Bearer ${JWT}` }] });
    for (const file of readdirSync(paths.dir)) {
      const text = readFileSync(join(paths.dir, file), 'utf8');
      for (const secret of [...secrets, JWT]) expect(text, file).not.toContain(secret);
    }
  });
});
