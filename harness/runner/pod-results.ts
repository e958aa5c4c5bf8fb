import type { KubernetesVersion } from '../cluster/versions.ts';
import type { Evidence, Fault, Outcome, PodResult, ScenarioResult, StepResult, Verdict } from '../results/model.ts';
import { classifyDenial, classifyError } from '../verdict/fault.ts';
import type { Comparison } from '../verdict/compare.ts';
import { applicability } from '../scenario/define.ts';
import type { Scenario } from '../scenario/types.ts';
import { instantiate, type InstancePod, type ScenarioInstance } from './instantiate.ts';

/** Pod and scenario results shared by every depth. */

/** The two gates a run's verdicts depend on, as the kubelet of this version has them (for reports). */
export function reportedGates(kubernetes: KubernetesVersion, overrides: Readonly<Record<string, boolean>> = {}): Record<string, boolean> {
  return {
    KubeletServiceAccountTokenForCredentialProviders: true,
    KubeletEnsureSecretPulledImages: kubernetes.gates.KubeletEnsureSecretPulledImages === 'beta',
    ...overrides,
  };
}

/** KEP-2535's gate as this version's kubelet has it unless a scenario sets it. */
export function ensureSecretPulledImagesGate(scenario: Scenario, kubernetes: KubernetesVersion): boolean {
  return scenario.cluster?.featureGates?.KubeletEnsureSecretPulledImages ?? kubernetes.gates.KubeletEnsureSecretPulledImages === 'beta';
}

/** The service account a pod of this instance runs as (absent for `default`). */
export function serviceAccountOf(pod: InstancePod, instance: ScenarioInstance): ScenarioInstance['serviceAccounts'][number] | undefined {
  return instance.serviceAccounts.find((s) => s.namespace === pod.namespace && s.name === pod.serviceAccount);
}

/** What every pod result says about the pod itself, whether or not it ran. */
function podFacts(pod: InstancePod, instance: ScenarioInstance): Pick<PodResult, 'pod' | 'namespace' | 'serviceAccount' | 'image' | 'expected' | 'annotations'> {
  return {
    pod: pod.name,
    namespace: pod.namespace,
    serviceAccount: pod.serviceAccount,
    image: pod.imageRef,
    expected: toModelExpectation(instance.scenario.expect[pod.name]?.fate ?? 'pulled'),
    annotations: serviceAccountOf(pod, instance)?.annotations ?? {},
  };
}

export function skipped(pod: InstancePod, instance: ScenarioInstance, outcome: Outcome, note: string): PodResult {
  return { ...podFacts(pod, instance), outcome, note, evidence: { events: [], kubeletLog: [], audit: [], trace: [] } };
}

export function toModelExpectation(fate: Scenario['expect'][string]['fate']): PodResult['expected'] {
  if (fate === 'pulled') return { kind: 'pulled' };
  if (fate === 'vulnerable-if-gate-off') return { kind: 'vulnerable-if-gate-off' };
  return { kind: 'denied', reason: fate.denied instanceof RegExp ? fate.denied.source : fate.denied };
}

export function scenarioResult(scenario: Scenario, pods: readonly PodResult[], durationMs: number, steps?: readonly StepResult[]): ScenarioResult {
  return { name: scenario.name, summary: scenario.summary, property: scenario.property, pods, durationMs, ...(steps?.length ? { steps } : {}) };
}

/** A scenario that does not fit this Kubernetes version: every pod reported, none run. */
export function notApplicableResult(scenario: Scenario, kubernetes: KubernetesVersion, runId: string, registryHost: string): ScenarioResult {
  const verdict = applicability(scenario, kubernetes.minor);
  const reason = verdict.applies ? '' : verdict.reason;
  const instance = instantiate(scenario, { runId, kubernetes, registryHost, tokenServiceUrl: '' });
  return scenarioResult(
    scenario,
    instance.pods.map((pod) => skipped(pod, instance, 'not-applicable', `not applicable on Kubernetes ${kubernetes.minor}: ${reason}`)),
    0,
  );
}

/** kubelet's view of a failed pull: its Warning event reads `Failed to pull image "<ref>": <CRI error>`. */
export function pullVerdict(imageRef: string, pulled: boolean, containerdMessage: string | undefined): Verdict {
  return pulled ? { kind: 'pulled', reason: 'Pulled' } : { kind: 'denied', reason: 'ErrImagePull', message: `Failed to pull image "${imageRef}": ${containerdMessage ?? 'no pull result'}` };
}

/**
 * A match stands only if the evidence shows the cause the expectation names: a 401 proves a wrong
 * audience only when the token service's audit says so.
 */
export function requireEvidence(comparison: Comparison, evidence: Evidence, pattern: RegExp | string | undefined): Comparison {
  if (pattern === undefined || comparison.outcome !== 'match') return comparison;
  const regex = pattern instanceof RegExp ? pattern : new RegExp(pattern);
  const text = [...evidence.audit.map((a) => JSON.stringify(a)), ...evidence.trace, ...evidence.kubeletLog, ...evidence.events.map((e) => `${e.reason}: ${e.message}`)].join('\n');
  return regex.test(text) ? comparison : { outcome: 'mismatch', note: `the verdict matches, but no evidence shows ${String(regex)}: it may have another cause` };
}

/** The result of a pod that ran: what was expected, what happened, how they compare, and why. */
export function ranPod(pod: InstancePod, instance: ScenarioInstance, run: { verdict: Verdict; comparison: Comparison; evidence: Evidence; started: number }): PodResult {
  const checked = requireEvidence(run.comparison, run.evidence, instance.scenario.expect[pod.name]?.evidence);
  // A denial nobody decided (registry down, realm unreachable, 5xx, crashed plugin) proves nothing
  // either way: inconclusive under its fault, whatever the expectation (harness/verdict/fault.ts).
  const cause = run.verdict.kind === 'denied' ? classifyDenial({ message: `${run.verdict.reason ?? ''}: ${run.verdict.message ?? ''}`, providerLog: run.evidence.kubeletLog }) : { cause: 'authorization' as const };
  const fault: Fault | undefined = cause.cause === 'fault' ? cause.fault : undefined;
  const comparison: Comparison = fault ? { outcome: 'inconclusive', note: `not an authorization decision: ${fault.name}` } : checked;
  return {
    ...podFacts(pod, instance),
    verdict: run.verdict,
    outcome: comparison.outcome,
    ...(comparison.note ? { note: comparison.note } : {}),
    ...(fault ? { fault } : {}),
    evidence: run.evidence,
    startedAt: new Date(run.started).toISOString(),
    durationMs: Date.now() - run.started,
  };
}

/**
 * A scenario whose setup or run threw (API error, plugin crash, …): every pod is inconclusive with
 * the error as its note, so the run still writes results and fails visibly instead of vanishing.
 */
export function failedScenario(instance: ScenarioInstance, error: unknown): ScenarioResult {
  const message = error instanceof Error ? error.message : String(error);
  const fault: Fault = classifyError(message) ?? { kind: 'setup-failure', name: `scenario ${instance.scenario.name} could not run: ${message.split('\n')[0] ?? ''}`, evidence: message };
  return scenarioResult(
    instance.scenario,
    instance.pods.map((pod) => ({
      ...skipped(pod, instance, 'inconclusive', `the scenario could not run: ${message}`),
      verdict: { kind: 'inconclusive' as const, reason: 'Error', message },
      fault,
    })),
    0,
  );
}
