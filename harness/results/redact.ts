import type { AuditEntry, Evidence, PodEvent, PodResult, RunResults, StepResult } from './model.ts';

/**
 * The last line of defence before anything is written or rendered: evidence comes from kubelet
 * logs, containerd messages and runner traces, any of which may quote a credential. Every output
 * (results.json, JUnit, HTML, terminal) goes through `redactResults` first, so a secret that slipped
 * past the logging layer still never reaches a file a reviewer opens or CI uploads.
 */

export const REDACTED = '[REDACTED]';

interface Rule {
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

const RULES: readonly Rule[] = [
  // JWS compact serialisation: every JWT header is base64url JSON, so it starts with "eyJ" ("{\"").
  { pattern: /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, replace: () => REDACTED },
  // The token service's own credential formats (registry/token-service/credentials.ts): ppx_ / ppr_.
  { pattern: /\bpp[xr]_[A-Za-z0-9_-]{8,}/g, replace: () => REDACTED },
  // Authorization header values, in header, JSON or YAML form: `Authorization: Basic dXNlcjpw`, `"authorization":"Bearer x"`.
  {
    pattern: /(authorization["']?[ \t]*[:=][ \t]*["']?)(basic|bearer)([ \t]+)([^\s"',;]+)/gi,
    replace: (_m, lead: string, scheme: string, gap: string) => `${lead}${scheme}${gap}${REDACTED}`,
  },
  // A bare `Bearer <token>` (curl traces, error messages) — but not challenge parameters such as
  // `Bearer realm="https://…",service="…"`, which are evidence of where the client was sent.
  {
    pattern: /\b(Bearer)([ \t]+)(?![A-Za-z_]+=")(?!\[REDACTED\])([A-Za-z0-9._~+/-]{8,}=*)/gi,
    replace: (_m, scheme: string, gap: string) => `${scheme}${gap}${REDACTED}`,
  },
  // A bare `Basic <base64 of user:password>`; only when it decodes to something with a colon, so
  // prose such as "Basic authentication required" stays readable.
  {
    pattern: /\b(Basic)([ \t]+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/g,
    replace: (match: string, scheme: string, gap: string, value: string) =>
      Buffer.from(value, 'base64').toString('latin1').includes(':') ? `${scheme}${gap}${REDACTED}` : match,
  },
  // Secret-named keys. The key must END in the secret word, so `serviceAccountTokenAudience` or
  // `tokenAttributes:` are left alone. Three forms, because prose also says "token:" —
  // containerd's "failed to fetch oauth token: unexpected status" must stay readable:
  // JSON-ish, quoted key: "password":"x", "access_token": "y", docker config's "auth":"<base64>";
  {
    pattern: /(["'](?:[A-Za-z_-]*(?:password|passwd|token|secret)|auth)["'][ \t]*:[ \t]*)(["']?)([^\s"',;&{}[\]]+)/gi,
    replace: (_m, lead: string, quote: string) => `${lead}${quote}${REDACTED}`,
  },
  // form, query and flag style: password=x&refresh_token=y, --client-secret=z;
  {
    pattern: /(\b[A-Za-z_-]*(?:password|passwd|token|secret)[ \t]*=[ \t]*)(["']?)([^\s"',;&{}[\]]+)/gi,
    replace: (_m, lead: string, quote: string) => `${lead}${quote}${REDACTED}`,
  },
  // YAML-ish, a key at the start of a line or a flow mapping: `client_secret: x`, `{token: y}`.
  {
    pattern: /((?:^|[\n{,])[ \t]*-?[ \t]*[A-Za-z_-]*(?:password|passwd|token|secret)[ \t]*:[ \t]*)(["']?)([^\s"',;&{}[\]]+)/gim,
    replace: (_m, lead: string, quote: string) => `${lead}${quote}${REDACTED}`,
  },
];

/** Replaces every secret-shaped substring of `text` with [REDACTED]; idempotent. */
export function redactText(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace);
  return out;
}

const opt = (value: string | undefined): string | undefined => (value === undefined ? undefined : redactText(value));

function redactRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, redactText(value)]));
}

function redactEvent(event: PodEvent): PodEvent {
  return { ...event, reason: redactText(event.reason), message: redactText(event.message) };
}

function redactAudit(entry: AuditEntry): AuditEntry {
  return {
    ...entry,
    ...(entry.subject === undefined ? {} : { subject: redactText(entry.subject) }),
    ...(entry.denyReason === undefined ? {} : { denyReason: redactText(entry.denyReason) }),
    requestedScopes: entry.requestedScopes.map(redactText),
    grantedScopes: entry.grantedScopes.map(redactText),
  };
}

function redactEvidence(evidence: Evidence): Evidence {
  return {
    events: evidence.events.map(redactEvent),
    kubeletLog: evidence.kubeletLog.map(redactText),
    audit: evidence.audit.map(redactAudit),
    trace: evidence.trace.map(redactText),
  };
}

function redactPod(pod: PodResult): PodResult {
  const out: PodResult = { ...pod, evidence: redactEvidence(pod.evidence), annotations: redactRecord(pod.annotations) };
  const note = opt(pod.note);
  const verdict = pod.verdict && { ...pod.verdict, ...(pod.verdict.message === undefined ? {} : { message: opt(pod.verdict.message) }) };
  const fault = pod.fault && { ...pod.fault, name: redactText(pod.fault.name), evidence: redactText(pod.fault.evidence) };
  return { ...out, ...(note === undefined ? {} : { note }), ...(verdict === undefined ? {} : { verdict }), ...(fault === undefined ? {} : { fault }) };
}

function redactStep(step: StepResult): StepResult {
  const note = opt(step.note);
  return { ...step, commands: step.commands.map((c) => ({ ...c, command: redactText(c.command), output: redactText(c.output) })), ...(note === undefined ? {} : { note }) };
}

/** The same results with every free-text string (evidence, notes, messages, annotations) redacted. */
export function redactResults(results: RunResults): RunResults {
  return {
    ...results,
    versions: results.versions.map((version) => ({
      ...version,
      scenarios: version.scenarios.map((scenario) => ({ ...scenario, pods: scenario.pods.map(redactPod), ...(scenario.steps ? { steps: scenario.steps.map(redactStep) } : {}) })),
    })),
  };
}
