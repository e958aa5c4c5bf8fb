import { describe, expect, it } from 'vitest';
import { classifyDenial, classifyError } from '../../../harness/verdict/fault.ts';

/**
 * Error texts and where each comes from:
 * - CTR_*: printed by `ctr images pull --plain-http` (containerd 1.7.24~ds1, Debian) on the
 *   development machine against a closed port and an unresolvable host, copied verbatim.
 * - REF_*: reference/registry-token-auth.md §3.2 (containerd 1.7.24, run against distribution 2.8).
 * - KUBELET_*: kubelet's Failed event (`Failed to pull image "<ref>": <CRI error>`, kuberuntime_image.go)
 *   around the same containerd texts, as kubelet's CRI client surfaces them (`rpc error: code = Unknown desc = …`).
 * - PLUGIN_*: kubelet plugin.go's `Failed getting credential from external registry credential provider:
 *   error execing credential provider plugin <name> for image <img>: <exec error>: <stderr>`; stderr
 *   lines are our plugin's (provider/plugin/exchange.ts) or a shell's.
 */
const CTR_REFUSED =
  'failed to resolve reference "127.0.0.1:1/x/y:v1": failed to do request: Head "http://127.0.0.1:1/v2/x/y/manifests/v1": dial tcp 127.0.0.1:1: connect: connection refused';
const CTR_DNS =
  'failed to resolve reference "no-such-host.invalid:5000/x/y:v1": failed to do request: Head "http://no-such-host.invalid:5000/v2/x/y/manifests/v1": dial tcp: lookup no-such-host.invalid on 10.255.255.53:53: no such host';
const REF_REALM_500 = 'failed to resolve reference "r:5000/test/app:v1": failed to authorize: failed to fetch oauth token: unexpected status from POST request to http://127.0.0.1:15001/token: 500 Internal Server Error';
const REF_INSUFFICIENT = 'failed to resolve reference "r:5000/test/app:v1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed';
const REF_401 =
  'failed to resolve reference "r:5000/test/app:v1": failed to authorize: failed to fetch oauth token: unexpected status from GET request to http://127.0.0.1:15001/token?scope=repository%3Atest%2Fapp%3Apull&service=test-registry: 401 Unauthorized';
const KUBELET_REALM_REFUSED =
  'ErrImagePull: Failed to pull image "pullproof-registry-ab12cd:5000/s/team-a/app:r1": rpc error: code = Unknown desc = failed to pull and unpack image "pullproof-registry-ab12cd:5000/s/team-a/app:r1": failed to resolve reference "pullproof-registry-ab12cd:5000/s/team-a/app:r1": failed to authorize: failed to fetch oauth token: Post "http://172.18.0.1:45651/token": dial tcp 172.18.0.1:45651: connect: connection refused';
const KUBELET_NEVER_PULL = 'ErrImageNeverPull: Container image "r:5000/s/team-a/app:r1" is not present with pull policy of Never';
const PLUGIN_KILLED =
  'Failed getting credential from external registry credential provider: error execing credential provider plugin pullproof-abc123 for image r:5000/s/team-a/app: signal: killed: ';
const PLUGIN_ROLE_DENIED =
  'Failed getting credential from external registry credential provider: error execing credential provider plugin pullproof-abc123 for image r:5000/s/team-a/app: exit status 1: pullproof-credential-provider: exchange endpoint http://172.18.0.1:45651/exchange denied the role (403 access_denied: trust policy): the trust policy does not let this service account assume it';
const PLUGIN_EXCHANGE_REFUSED =
  'Failed getting credential from external registry credential provider: error execing credential provider plugin pullproof-abc123 for image r:5000/s/team-a/app: exit status 1: pullproof-credential-provider: exchange endpoint http://172.18.0.1:45651/exchange refused the connection: is the token service running and reachable from the node?';
const PLUGIN_NOT_EXECUTABLE =
  'Failed getting credential from external registry credential provider: error execing credential provider plugin my-plugin for image r:5000/s/team-a/app: fork/exec /bin/my-plugin: exec format error: ';

describe('classifying a denied pull: authorization outcome or fault', () => {
  it('calls a refused connection to the registry a registry fault, naming the host', () => {
    expect(classifyDenial({ message: CTR_REFUSED })).toEqual({ cause: 'fault', fault: { kind: 'registry-unreachable', name: 'registry 127.0.0.1:1 unreachable (connection refused)', evidence: CTR_REFUSED } });
  });

  it('calls a registry host that does not resolve a registry fault (DNS)', () => {
    const cause = classifyDenial({ message: CTR_DNS });
    expect(cause).toMatchObject({ cause: 'fault', fault: { kind: 'registry-unreachable', name: 'registry no-such-host.invalid:5000 unreachable (host name does not resolve)' } });
  });

  it('calls a refused token POST a realm fault, not the registry', () => {
    expect(classifyDenial({ message: KUBELET_REALM_REFUSED })).toMatchObject({ cause: 'fault', fault: { kind: 'realm-unreachable', name: 'token realm 172.18.0.1:45651 unreachable (connection refused)' } });
  });

  it('calls a 5xx from the token realm a server fault', () => {
    expect(classifyDenial({ message: REF_REALM_500 })).toMatchObject({ cause: 'fault', fault: { kind: 'server-error', name: 'token realm 127.0.0.1:15001 failed: POST answered 500 Internal Server Error' } });
  });

  it('keeps insufficient_scope, 401 and ErrImageNeverPull as authorization outcomes', () => {
    for (const message of [REF_INSUFFICIENT, REF_401, KUBELET_NEVER_PULL]) expect(classifyDenial({ message }), message).toEqual({ cause: 'authorization' });
  });

  it('calls a killed or unexecutable plugin a fault even though the anonymous pull after it was refused', () => {
    expect(classifyDenial({ message: REF_INSUFFICIENT, providerLog: [PLUGIN_KILLED] })).toMatchObject({ cause: 'fault', fault: { kind: 'plugin-failure', name: 'credential provider pullproof-abc123 killed (signal: killed)' } });
    expect(classifyDenial({ message: REF_INSUFFICIENT, providerLog: [PLUGIN_NOT_EXECUTABLE] })).toMatchObject({ cause: 'fault', fault: { kind: 'plugin-failure' } });
  });

  it('calls a plugin that could not reach its exchange endpoint a fault', () => {
    expect(classifyDenial({ message: REF_INSUFFICIENT, providerLog: [PLUGIN_EXCHANGE_REFUSED] })).toMatchObject({
      cause: 'fault',
      fault: { kind: 'plugin-failure', name: 'credential provider pullproof-abc123 could not reach its endpoint (connection refused)' },
    });
  });

  it('keeps a plugin that was denied the role (403) as an authorization outcome', () => {
    expect(classifyDenial({ message: REF_INSUFFICIENT, providerLog: [PLUGIN_ROLE_DENIED] })).toEqual({ cause: 'authorization' });
  });

  it('names a setup error that is a transport failure as that fault, and leaves other errors alone', () => {
    expect(classifyError(`pushing s/team-a/app: ${CTR_REFUSED}`)?.kind).toBe('registry-unreachable');
    expect(classifyError('namespaces "x" already exists')).toBeUndefined();
  });
});
