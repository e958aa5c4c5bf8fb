import type { Fault } from '../results/model.ts';

/**
 * Whether a denial is a security outcome or a broken rig. A pod that could not pull because the
 * registry was dead is not evidence about authorization: calling it a mismatch sends a CI reader
 * after a security regression that was one dead container. Only an authorization decision (401/403,
 * `insufficient_scope`, `invalid_token`, no credentials, kubelet refusing the provider config or
 * the cached image) may be a match or a mismatch; everything else is a *fault* and the pod is
 * inconclusive, grouped under the fault's name.
 *
 * Evaluation order (the first that applies decides; each is evidence, never a guess):
 *   1. the pull error names a transport failure (connection refused, DNS, timeout, reset) → fault,
 *      attributed to the registry (`/v2/` URL) or the token realm (any other URL);
 *   2. the pull error is an unexpected 5xx status → fault (the server failed, it did not decide);
 *   3. the credential provider failed for a reason of its own (killed, timed out, could not be
 *      executed, crashed, or could not reach its endpoint) → fault, even when the pull that followed
 *      without its credentials was refused: that refusal judged a request without credentials;
 *   4. anything else is an authorization outcome.
 * A transport error wins over an authorization word in the same text: containerd reports the
 * first failure it met, so "connection refused" on the token POST means nobody decided anything.
 *
 * Error texts, by source:
 * - containerd 1.7 `remotes/docker/resolver.go` wraps transport errors as
 *   `failed to do request: <Method> "<url>": <Go net error>`; run with ctr 1.7.24 against a closed
 *   port and an unresolvable host (test/unit/verdict/fault.test.ts quotes the output verbatim).
 * - containerd `remotes/docker/errors.go` `unexpected status from <METHOD> request to <url>: <status>`
 *   (reference/registry-token-auth.md §3.2, run for 401/403/500).
 * - Go `net`: `connect: connection refused`, `lookup <host> on <server>: no such host`,
 *   `i/o timeout`, `connection reset by peer`, `server misbehaving` (net/net.go, net/dnsclient_unix.go).
 * - kubelet `pkg/credentialprovider/plugin/plugin.go`: `Failed getting credential from external
 *   registry credential provider: error execing credential provider plugin <name> for image <img>:
 *   <exec error>: <stderr>`; Go os/exec: `signal: killed`, `exec format error`, `no such file or directory`.
 */


export type { Fault, FaultKind } from '../results/model.ts';

export interface DenialEvidence {
  /** The pull error as kubelet reports it (`Failed to pull image "<ref>": <CRI error>`) or ctr prints it. */
  readonly message: string;
  /** kubelet's log lines about the provider for this pull (plugin.go `Failed getting credential …`). */
  readonly providerLog?: readonly string[];
}

export type DenialCause = { readonly cause: 'authorization' } | { readonly cause: 'fault'; readonly fault: Fault };

const TRANSPORT: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /connect: connection refused|ECONNREFUSED|refused the connection/, what: 'connection refused' },
  { pattern: /no such host|server misbehaving|ENOTFOUND|EAI_AGAIN|does not resolve/, what: 'host name does not resolve' },
  { pattern: /i\/o timeout|context deadline exceeded|TLS handshake timeout|ETIMEDOUT|did not answer within/, what: 'timed out' },
  { pattern: /connection reset by peer|ECONNRESET|broken pipe|EHOSTUNREACH|no route to host|network is unreachable/, what: 'connection lost' },
];

// `failed to do request: Head "http://host:5000/v2/…": dial tcp …` — the URL says who was unreachable.
const REQUEST_URL = /(?:failed to do request: \w+ |Post |Get |Head )"?(https?:\/\/[^\s"]+)"?/;
const UNEXPECTED_5XX = /unexpected status from (\w+) request to (\S+): (5\d\d [^\n;]*)/;

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function endpointOf(url: string | undefined): { kind: 'registry' | 'realm'; host: string } | undefined {
  if (!url) return undefined;
  const host = hostOf(url);
  const path = (() => {
    try {
      return new URL(url).pathname;
    } catch {
      return '';
    }
  })();
  return { kind: path.startsWith('/v2/') || path === '/v2' ? 'registry' : 'realm', host };
}

function transportFault(text: string): Fault | undefined {
  const transport = TRANSPORT.find((t) => t.pattern.test(text));
  if (!transport) return undefined;
  const endpoint = endpointOf(REQUEST_URL.exec(text)?.[1]);
  if (endpoint?.kind === 'realm') return { kind: 'realm-unreachable', name: `token realm ${endpoint.host} unreachable (${transport.what})`, evidence: text };
  return { kind: 'registry-unreachable', name: `registry ${endpoint?.host ?? ''} unreachable (${transport.what})`.replace('registry  ', 'registry '), evidence: text };
}

function serverError(text: string): Fault | undefined {
  const match = UNEXPECTED_5XX.exec(text);
  if (!match) return undefined;
  const endpoint = endpointOf(match[2]);
  const who = endpoint?.kind === 'realm' ? `token realm ${endpoint.host}` : `registry ${endpoint?.host ?? ''}`;
  return { kind: 'server-error', name: `${who} failed: ${match[1] ?? ''} answered ${(match[3] ?? '').trim()}`, evidence: text };
}

// A provider that refused by decision says so (our plugin: `denied the role (403 …)`, `rejected the
// service-account token (401 …)`): that is an authorization outcome, not a crash.
const PROVIDER_DECISION = /\b40[13]\b|denied|forbidden|unauthori[sz]ed|not allowed|insufficient_scope/i;
const PROVIDER_CRASH: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /signal: [a-z ]+|killed after \d+ ?ms|context deadline exceeded/i, what: 'killed' },
  { pattern: /exec format error|no such file or directory|permission denied|executable file not found/i, what: 'could not be executed' },
  { pattern: /panic:|segmentation fault|Traceback \(most recent call last\)|uncaught exception/i, what: 'crashed' },
];

function providerName(line: string): string {
  return /credential provider plugin (\S+)/.exec(line)?.[1] ?? 'credential provider';
}

function providerFault(lines: readonly string[]): Fault | undefined {
  for (const line of lines) {
    if (!/Failed getting credential from external registry credential provider/.test(line)) continue;
    const name = providerName(line);
    const transport = TRANSPORT.find((t) => t.pattern.test(line));
    if (transport) return { kind: 'plugin-failure', name: `credential provider ${name} could not reach its endpoint (${transport.what})`, evidence: line };
    if (/\b5\d\d\b/.test(line) && /answered|status/.test(line)) return { kind: 'plugin-failure', name: `credential provider ${name}: its endpoint failed (5xx)`, evidence: line };
    if (PROVIDER_DECISION.test(line)) continue;
    const crash = PROVIDER_CRASH.find((c) => c.pattern.test(line));
    if (crash) return { kind: 'plugin-failure', name: `credential provider ${name} ${crash.what} (${crash.pattern.exec(line)?.[0] ?? ''})`, evidence: line };
  }
  return undefined;
}

/** Classifies a denied pull: an authorization outcome, or the fault that took the pod down. */
export function classifyDenial(evidence: DenialEvidence): DenialCause {
  const fault = transportFault(evidence.message) ?? serverError(evidence.message) ?? providerFault(evidence.providerLog ?? []);
  return fault ? { cause: 'fault', fault } : { cause: 'authorization' };
}

/** A scenario that could not run at all (its setup threw): the error as a fault, if it is one. */
export function classifyError(message: string): Fault | undefined {
  return transportFault(message) ?? serverError(message);
}
