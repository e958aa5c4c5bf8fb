import type { Depth } from '../results/model.ts';
import type { DetailedExpectation, ExpectedFate, PodExpectation, Scenario, ScenarioInput } from './types.ts';

/** A scenario file that does not describe a runnable scenario; names the scenario and the field. */
export class ScenarioDefinitionError extends Error {
  readonly scenario: string;
  readonly field: string;
  readonly problem: string;
  constructor(scenario: string, field: string, problem: string) {
    super(`scenario "${scenario}": ${field}: ${problem}`);
    this.name = 'ScenarioDefinitionError';
    this.scenario = scenario;
    this.field = field;
    this.problem = problem;
  }
}

const DEPTHS: readonly Depth[] = ['plugin', 'node', 'cluster'];
// Kubernetes object names: DNS-1123 labels for namespaces, subdomains for pods and service accounts.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const MINOR = /^1\.\d{2}$/;

type Check = (condition: boolean, field: string, problem: string) => asserts condition;

function checker(scenario: string): Check {
  return (condition, field, problem) => {
    if (!condition) throw new ScenarioDefinitionError(scenario, field, problem);
  };
}

/** A plain boolean (not a type guard) so that checking a typed field does not widen it to any[]. */
function isList(value: unknown): boolean {
  return Array.isArray(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RegExp);
}

/** Unknown keys are typos until proven otherwise: `requiredAnnotation` must not silently mean "none". */
function onlyKeys(check: Check, value: unknown, field: string, allowed: readonly string[]): void {
  check(isRecord(value), field, 'must be an object');
  for (const key of Object.keys(value)) check(allowed.includes(key), `${field}.${key}`, `unknown field (known: ${allowed.join(', ')})`);
}

function stringList(check: Check, value: unknown, field: string, pattern?: RegExp): void {
  check(Array.isArray(value), field, 'must be a list of strings');
  value.forEach((item: unknown, i) => {
    check(typeof item === 'string' && item.length > 0, `${field}[${i}]`, 'must be a non-empty string');
    if (pattern) check(pattern.test(item), `${field}[${i}]`, `"${item}" is not valid`);
  });
}

function normaliseExpectation(check: Check, value: PodExpectation, field: string, defaultDepth: Depth): Scenario['expect'][string] {
  const isFate = (fate: unknown): fate is ExpectedFate =>
    fate === 'pulled' || fate === 'vulnerable-if-gate-off' || (isRecord(fate) && Object.keys(fate).length === 1 && (typeof fate.denied === 'string' || fate.denied instanceof RegExp));
  if (isFate(value)) return { fate: value, depth: defaultDepth };
  onlyKeys(check, value, field, ['fate', 'depth', 'why', 'freshGrant', 'evidence']);
  const detailed: DetailedExpectation = value;
  check(isFate(detailed.fate), `${field}.fate`, `must be 'pulled', 'vulnerable-if-gate-off' or { denied: <pattern> }`);
  check(detailed.depth === undefined || DEPTHS.includes(detailed.depth), `${field}.depth`, `must be one of ${DEPTHS.join(', ')}`);
  const depth = detailed.depth ?? defaultDepth;
  check(depth === 'plugin' || typeof detailed.why === 'string', `${field}.why`, `say why depths shallower than ${depth} cannot check this`);
  check(detailed.freshGrant === undefined || typeof detailed.freshGrant === 'boolean', `${field}.freshGrant`, 'must be true or false');
  check(detailed.evidence === undefined || typeof detailed.evidence === 'string' || detailed.evidence instanceof RegExp, `${field}.evidence`, 'must be a regular expression or a string');
  return {
    fate: detailed.fate,
    depth,
    ...(detailed.why ? { why: detailed.why } : {}),
    ...(detailed.freshGrant ? { freshGrant: true } : {}),
    ...(detailed.evidence !== undefined ? { evidence: detailed.evidence } : {}),
  };
}

function checkProvider(check: Check, provider: ScenarioInput['provider']): void {
  onlyKeys(check, provider, 'provider', ['mode', 'audience', 'cacheType', 'requireServiceAccount', 'requiredAnnotations', 'optionalAnnotations', 'roleAnnotation']);
  check(provider.mode === 'passthrough' || provider.mode === 'exchange', 'provider.mode', `must be 'passthrough' or 'exchange', not ${JSON.stringify(provider.mode)}`);
  check(typeof provider.audience === 'string' && provider.audience.length > 0, 'provider.audience', 'must be a non-empty string');
  check(provider.cacheType === undefined || provider.cacheType === 'Token' || provider.cacheType === 'ServiceAccount', 'provider.cacheType', `must be 'Token' or 'ServiceAccount'`);
  check(typeof provider.requireServiceAccount === 'boolean', 'provider.requireServiceAccount', 'must be true or false');
  if (provider.requiredAnnotations !== undefined) stringList(check, provider.requiredAnnotations, 'provider.requiredAnnotations');
  if (provider.optionalAnnotations !== undefined) stringList(check, provider.optionalAnnotations, 'provider.optionalAnnotations');
  if (provider.mode === 'exchange') {
    check(typeof provider.roleAnnotation === 'string' && provider.roleAnnotation.length > 0, 'provider.roleAnnotation', 'exchange mode needs the SA annotation that names the role');
  }
}

function checkRegistry(check: Check, registry: ScenarioInput['registry']): void {
  onlyKeys(check, registry, 'registry', ['grants', 'roles', 'pullSecretUsers', 'acceptedAudience']);
  (registry.grants ?? []).forEach((grant, i) => {
    const field = `registry.grants[${i}]`;
    onlyKeys(check, grant, field, ['namespace', 'serviceAccount', 'repositories', 'actions']);
    check(typeof grant.namespace === 'string' && typeof grant.serviceAccount === 'string', field, 'needs namespace and serviceAccount globs');
    stringList(check, grant.repositories, `${field}.repositories`);
    stringList(check, grant.actions, `${field}.actions`, /^(pull|push|delete)$/);
  });
  (registry.roles ?? []).forEach((role, i) => {
    const field = `registry.roles[${i}]`;
    onlyKeys(check, role, field, ['name', 'trust', 'repositories', 'actions']);
    check(typeof role.name === 'string' && role.name.length > 0, `${field}.name`, 'must be a non-empty string');
    check(isList(role.trust), `${field}.trust`, 'must be a list of { namespace, serviceAccount }');
    role.trust.forEach((t, j) => onlyKeys(check, t, `${field}.trust[${j}]`, ['namespace', 'serviceAccount']));
    stringList(check, role.repositories, `${field}.repositories`);
    stringList(check, role.actions, `${field}.actions`, /^(pull|push|delete)$/);
  });
  (registry.pullSecretUsers ?? []).forEach((user, i) => {
    onlyKeys(check, user, `registry.pullSecretUsers[${i}]`, ['name', 'repositories']);
    stringList(check, user.repositories, `registry.pullSecretUsers[${i}].repositories`);
  });
}

function checkSteps(check: Check, input: ScenarioInput): Set<string> {
  const names = new Set<string>();
  if (input.steps === undefined) return names;
  check(isList(input.steps), 'steps', 'must be a list of { name, after?, depth?, run }');
  input.steps.forEach((step, i) => {
    const field = `steps[${i}]`;
    onlyKeys(check, step, field, ['name', 'after', 'depth', 'run']);
    check(typeof step.name === 'string' && DNS_SUBDOMAIN.test(step.name), `${field}.name`, `${JSON.stringify(step.name)} must be a lower-case name like "recreate-sa"`);
    check(!names.has(step.name), `${field}.name`, `step "${step.name}" is declared twice`);
    check(typeof step.run === 'function', `${field}.run`, 'must be a function, e.g. async ({ $, kube }) => { await kube.recreateServiceAccount("team-a", "puller") }');
    check(step.depth === undefined || DEPTHS.includes(step.depth), `${field}.depth`, `must be one of ${DEPTHS.join(', ')}`);
    names.add(step.name);
  });
  return names;
}

function checkPlugin(check: Check, plugin: NonNullable<ScenarioInput['plugin']>): void {
  onlyKeys(check, plugin, 'plugin', ['executable', 'entry']);
  check(typeof plugin.executable === 'string' && plugin.executable.length > 0, 'plugin.executable', 'must name the plugin executable (relative to the scenario file)');
  if (plugin.entry === undefined || typeof plugin.entry === 'string') return;
  onlyKeys(check, plugin.entry, 'plugin.entry', ['apiVersion', 'args', 'env', 'defaultCacheDuration']);
  if (plugin.entry.args !== undefined) stringList(check, plugin.entry.args, 'plugin.entry.args');
  (plugin.entry.env ?? []).forEach((e, i) => onlyKeys(check, e, `plugin.entry.env[${i}]`, ['name', 'value']));
}

/**
 * Validates a scenario and returns it with expectations normalised. Every problem is reported as
 * `scenario "<name>": <field path>: <problem>`.
 */
export function defineScenario(input: ScenarioInput): Scenario {
  const name = typeof input?.name === 'string' && input.name ? input.name : '(unnamed)';
  const check: Check = checker(name);
  onlyKeys(check, input, '(scenario)', ['name', 'summary', 'property', 'kubernetes', 'cluster', 'provider', 'nodeAudienceGrant', 'serviceAccounts', 'registry', 'images', 'pods', 'expect', 'depth', 'steps', 'plugin']);
  check(DNS_LABEL.test(input.name), 'name', `"${input.name}" must be a DNS label (lower-case letters, digits, '-'): it names namespaces`);
  check(typeof input.summary === 'string' && input.summary.length > 0, 'summary', 'must say what the scenario does');
  check(typeof input.property === 'string' && input.property.length > 0, 'property', 'must state the security property it protects');
  if (input.kubernetes !== undefined) {
    onlyKeys(check, input.kubernetes, 'kubernetes', ['min', 'max']);
    for (const bound of ['min', 'max'] as const) {
      const v = input.kubernetes[bound];
      check(v === undefined || MINOR.test(v), `kubernetes.${bound}`, `must be a minor like "1.34", not ${JSON.stringify(v)}`);
    }
  }
  if (input.cluster !== undefined) {
    onlyKeys(check, input.cluster, 'cluster', ['featureGates', 'kubelet']);
    if (input.cluster.featureGates) for (const [gate, on] of Object.entries(input.cluster.featureGates)) check(typeof on === 'boolean', `cluster.featureGates.${gate}`, 'must be true or false');
    if (input.cluster.kubelet) onlyKeys(check, input.cluster.kubelet, 'cluster.kubelet', ['imagePullCredentialsVerificationPolicy']);
  }
  checkProvider(check, input.provider);
  check(typeof input.nodeAudienceGrant === 'boolean' || Array.isArray(input.nodeAudienceGrant), 'nodeAudienceGrant', 'must be true, false, or a list of service-account names');
  check(input.depth === undefined || DEPTHS.includes(input.depth), 'depth', `must be one of ${DEPTHS.join(', ')}`);

  check(isList(input.serviceAccounts), 'serviceAccounts', 'must be a list');
  const accounts = new Set<string>();
  input.serviceAccounts.forEach((sa, i) => {
    const field = `serviceAccounts[${i}]`;
    onlyKeys(check, sa, field, ['namespace', 'name', 'annotations']);
    check(DNS_LABEL.test(sa.namespace), `${field}.namespace`, `"${sa.namespace}" is not a valid namespace name`);
    check(DNS_SUBDOMAIN.test(sa.name), `${field}.name`, `"${sa.name}" is not a valid service-account name`);
    check(!accounts.has(`${sa.namespace}/${sa.name}`), field, `${sa.namespace}/${sa.name} is declared twice`);
    accounts.add(`${sa.namespace}/${sa.name}`);
    if (sa.annotations !== undefined) {
      check(isRecord(sa.annotations), `${field}.annotations`, 'must be a map of strings');
      for (const [k, v] of Object.entries(sa.annotations)) check(typeof v === 'string', `${field}.annotations.${k}`, 'must be a string');
    }
  });
  checkRegistry(check, input.registry);
  stringList(check, input.images, 'images', REPOSITORY);
  const users = new Set((input.registry.pullSecretUsers ?? []).map((u) => u.name));

  check(isList(input.pods) && input.pods.length > 0, 'pods', 'must list at least one pod');
  const steps = checkSteps(check, input);
  if (input.plugin !== undefined) checkPlugin(check, input.plugin);
  const pods = new Set<string>();
  input.pods.forEach((pod, i) => {
    const field = `pods[${i}]`;
    onlyKeys(check, pod, field, ['name', 'namespace', 'serviceAccount', 'image', 'pullPolicy', 'after', 'recreateServiceAccountFirst', 'imagePullSecret', 'sameNodeAs']);
    check(DNS_SUBDOMAIN.test(pod.name), `${field}.name`, `"${pod.name}" is not a valid pod name`);
    check(!pods.has(pod.name), `${field}.name`, `pod "${pod.name}" is declared twice`);
    // `default` exists in every namespace; the scenario may use it without declaring it.
    check(pod.serviceAccount === 'default' || accounts.has(`${pod.namespace}/${pod.serviceAccount}`), `${field}.serviceAccount`, `${pod.namespace}/${pod.serviceAccount} is not in serviceAccounts`);
    check(input.images.includes(pod.image), `${field}.image`, `"${pod.image}" is not in images (${input.images.join(', ')})`);
    check(pod.pullPolicy === undefined || ['Always', 'IfNotPresent', 'Never'].includes(pod.pullPolicy), `${field}.pullPolicy`, `must be Always, IfNotPresent or Never`);
    // Only earlier pods can be waited for, which also rules out cycles.
    check(pod.after === undefined || pods.has(pod.after) || steps.has(pod.after), `${field}.after`, `"${String(pod.after)}" must name a pod declared before this one, or a step`);
    check(pod.sameNodeAs === undefined || pods.has(pod.sameNodeAs), `${field}.sameNodeAs`, `"${String(pod.sameNodeAs)}" must name a pod declared before this one`);
    check(!steps.has(pod.name), `${field}.name`, `"${pod.name}" is also a step's name`);
    check(pod.imagePullSecret === undefined || users.has(pod.imagePullSecret), `${field}.imagePullSecret`, `"${String(pod.imagePullSecret)}" is not in registry.pullSecretUsers`);
    pods.add(pod.name);
  });

  for (const [i, step] of (input.steps ?? []).entries()) {
    check(step.after === undefined || pods.has(step.after) || steps.has(step.after), `steps[${i}].after`, `"${String(step.after)}" names no pod or step`);
    // Each item follows at most one other: walking the chain finds any cycle.
    const seen = new Set([step.name]);
    for (let next = step.after; next !== undefined; next = (input.steps ?? []).find((s) => s.name === next)?.after ?? input.pods.find((p) => p.name === next)?.after) {
      check(!seen.has(next), `steps[${i}].after`, `"${step.name}" waits for itself through ${[...seen].join(' → ')}`);
      seen.add(next);
    }
  }
  onlyKeys(check, input.expect, 'expect', [...pods]);
  const defaultDepth = input.depth ?? 'plugin';
  const expect: Record<string, Scenario['expect'][string]> = {};
  for (const pod of pods) {
    const expectation = input.expect[pod];
    if (expectation === undefined) throw new ScenarioDefinitionError(name, `expect.${pod}`, 'every pod needs an expectation');
    expect[pod] = normaliseExpectation(check, expectation, `expect.${pod}`, defaultDepth);
  }
  return { ...input, expect };
}

/** Whether a scenario applies to a Kubernetes minor, and if not, why (reported, never silent). */
export function applicability(scenario: Scenario, minor: string): { readonly applies: true } | { readonly applies: false; readonly reason: string } {
  const num = (v: string) => Number(v.split('.')[1]);
  const { min, max } = scenario.kubernetes ?? {};
  if (min && num(minor) < num(min)) return { applies: false, reason: `needs Kubernetes ${min} or newer` };
  if (max && num(minor) > num(max)) return { applies: false, reason: `applies up to Kubernetes ${max}` };
  return { applies: true };
}
