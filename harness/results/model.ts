/**
 * The results model every output is rendered from (terminal table, results.json, JUnit, HTML):
 * run → Kubernetes version (at one depth) → scenario → pod expectation. Plain data, JSON-safe,
 * versioned: readers must check `schemaVersion`.
 */

export const RESULTS_SCHEMA_VERSION = 1;

/**
 * Where a scenario ran (DESIGN.md decision 8): `cluster` = real kind cluster with kubelet;
 * `node` = real kind binary with a stand-in node; `plugin` = the kubelet-exact runner, no cluster.
 */
export type Depth = 'cluster' | 'node' | 'plugin';

/** What a scenario says must happen to one pod. */
export type Expectation =
  | { readonly kind: 'pulled' }
  | { readonly kind: 'denied'; /** regular expression source the denial message must match */ readonly reason?: string }
  /** the pod starts only because the KEP-2535 gate is off: the known hole a regression reproduction needs */
  | { readonly kind: 'vulnerable-if-gate-off' };

/** What actually happened to the pod. */
export type VerdictKind =
  | 'pulled' // container started (Running, Succeeded, or terminated after start)
  | 'denied' // waiting reason ErrImagePull / ImagePullBackOff / ErrImageNeverPull
  | 'inconclusive'; // no decision before the timeout: always a failure

export interface Verdict {
  readonly kind: VerdictKind;
  /** Kubernetes waiting reason or runner decision, e.g. `ErrImagePull`. */
  readonly reason?: string;
  /** The containerd / registry / kubelet message behind the verdict. */
  readonly message?: string;
}

/**
 * How a pod's verdict compares with its expectation.
 * `not-applicable`: the scenario does not fit this Kubernetes version (visible, never a pass).
 * `not-checked-at-depth`: only a deeper tier can check it, e.g. node-audience RBAC at plugin depth
 * (visible, never counted as passed).
 */
export type Outcome = 'match' | 'mismatch' | 'inconclusive' | 'not-applicable' | 'not-checked-at-depth';

export interface PodEvent {
  readonly type: string; // Normal | Warning
  readonly reason: string;
  readonly message: string;
  readonly time?: string; // RFC 3339
  readonly count?: number;
}

/** One token-service decision, as the audit log records it (never holds a token or password). */
export interface AuditEntry {
  readonly time: string;
  readonly endpoint: string;
  readonly subject?: string;
  readonly serviceAccountUid?: string;
  readonly pod?: string;
  readonly requestedScopes: readonly string[];
  readonly grantedScopes: readonly string[];
  readonly denyReason?: string;
}

/** Everything that explains a verdict; every string is redacted before it gets here. */
export interface Evidence {
  readonly events: readonly PodEvent[];
  readonly kubeletLog: readonly string[];
  readonly audit: readonly AuditEntry[];
  /** Runner trace at plugin/node depth: provider chosen, request (token redacted), response, cache key. */
  readonly trace: readonly string[];
}

/** Why a pod is inconclusive although it was denied: no authorization decision was made (harness/verdict/fault.ts). */
export type FaultKind = 'registry-unreachable' | 'realm-unreachable' | 'server-error' | 'plugin-failure' | 'setup-failure' | 'step-failure';

export interface Fault {
  readonly kind: FaultKind;
  /** One line naming the fault; pods with the same name share one cause and are grouped under it. */
  readonly name: string;
  /** The text the fault was recognised in. */
  readonly evidence: string;
}

export interface PodResult {
  readonly pod: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly image: string;
  readonly expected: Expectation;
  /** Absent when the pod was not run (`not-applicable`, `not-checked-at-depth`). */
  readonly verdict?: Verdict;
  readonly outcome: Outcome;
  /** Why the outcome is not-applicable / not-checked-at-depth, or what differs on a mismatch. */
  readonly note?: string;
  readonly evidence: Evidence;
  readonly startedAt?: string;
  readonly durationMs?: number;
  /** Service-account annotations the pod ran with (shown as JUnit properties). */
  readonly annotations: Readonly<Record<string, string>>;
  /** Inconclusive because of this fault, not an authorization decision; pods sharing its name share the cause. */
  readonly fault?: Fault;
  /** Mismatch or inconclusive: one command that reruns exactly this scenario on this version, depth and node image. */
  readonly rerun?: string;
}

/** One command a scripted step ran (zx `$` or a harness action), as evidence. */
export interface StepCommand {
  readonly command: string;
  readonly exitCode: number | null;
  /** stdout and stderr, redacted, trimmed to the last lines. */
  readonly output: string;
}

/**
 * A scripted step between pods. `not-run-at-depth`: the step needs a deeper tier (an API server);
 * `blocked`: an earlier step it follows did not complete.
 */
export interface StepResult {
  readonly name: string;
  readonly after?: string;
  readonly outcome: 'done' | 'failed' | 'not-run-at-depth' | 'blocked';
  readonly commands: readonly StepCommand[];
  /** Why the step failed or did not run. */
  readonly note?: string;
  readonly durationMs?: number;
  /** Failed steps: the command that reruns this scenario (see PodResult.rerun). */
  readonly rerun?: string;
}

export interface ScenarioResult {
  readonly name: string;
  /** The file the scenario came from, as the user named it; absent for the built-in suite. */
  readonly source?: string;
  /** Scripted steps, in declaration order, with their commands as evidence. */
  readonly steps?: readonly StepResult[];
  readonly summary: string;
  /** The security property the scenario protects, in one sentence. */
  readonly property: string;
  readonly pods: readonly PodResult[];
  readonly durationMs: number;
}

export interface Environment {
  readonly kindVersion?: string;
  readonly nodeImage?: string;
  readonly featureGates: Readonly<Record<string, boolean>>;
  readonly pluginVersion?: string;
  readonly containerdVersion?: string;
  /** The distribution registry image the run used (`pullproof/registry-offline:<hash>` or registry:3's pinned ref). */
  readonly registryImage?: string;
  /** The Kubernetes release the node image carries (`/kind/version`), when it is not the table's. */
  readonly kubernetesRelease?: string;
  /** Whose rules were applied to that release: the newest known minor at or below it, and why. */
  readonly rules?: string;
  /** The credential provider plugin the scenarios ran against, when it is not pullproof's. */
  readonly plugin?: string;
  /** Node depth only: API calls the stand-in API server answered as not implemented (empty on a sound run). */
  readonly standinUnimplemented?: readonly string[];
}

export interface VersionResult {
  /** Kubernetes minor, e.g. "1.34". */
  readonly kubernetes: string;
  readonly depth: Depth;
  readonly environment: Environment;
  readonly scenarios: readonly ScenarioResult[];
}

export interface RunResults {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Present when this run is one shard of a CI matrix. */
  readonly shard?: { readonly index: number; readonly total: number };
  readonly versions: readonly VersionResult[];
  /** Scenario files that could not be loaded: named file and field; the other scenarios still ran. */
  readonly scenarioErrors?: readonly { readonly file: string; readonly message: string }[];
}

/** A run fails on any mismatch or inconclusive pod; not-applicable and not-checked never pass or fail it. */
export function runFailed(results: RunResults): boolean {
  return (
    (results.scenarioErrors?.length ?? 0) > 0 ||
    results.versions.some((v) => v.scenarios.some((s) => s.pods.some((p) => p.outcome === 'mismatch' || p.outcome === 'inconclusive') || (s.steps ?? []).some((st) => st.outcome === 'failed')))
  );
}
