import { createHash, randomBytes } from 'node:crypto';
import type { Policy, Role, SubjectRule } from '../../registry/index.ts';
import type { CredentialProviderSpec } from '../cluster/credential-provider-config.ts';
import type { NodeAudienceGrant } from '../cluster/node-audience-rbac.ts';
import type { KubernetesVersion } from '../cluster/versions.ts';
import type { PodSpec, Scenario } from '../scenario/types.ts';

/**
 * Turns a scenario's logical names into the names one run uses, so that scenarios can share a
 * cluster, a registry and a token service without seeing each other (DESIGN.md decision 5):
 * - namespaces `<ns>-<hash of scenario and run>`: fresh service accounts per run;
 * - repositories `<scenario>/<repo>` with the run's tag: unique image per run, never preloaded;
 * - audiences `<audience>.<scenario id>`: node-audience RBAC of one scenario cannot grant another's;
 * - provider `pullproof-<scenario id>` matching `<registry host>/<scenario>/`: each scenario's provider
 *   settings apply to its own images only (kubelet's matchImages path is a string prefix).
 * Pure: same inputs, same instance.
 */

export interface InstanceContext {
  readonly runId: string;
  readonly kubernetes: KubernetesVersion;
  /** host[:port] pods use for the registry (what containerd resolves through hosts.toml). */
  readonly registryHost: string;
  /** Token service base URL as the plugin reaches it (exchange mode). */
  readonly tokenServiceUrl: string;
}

export interface InstancePod extends PodSpec {
  readonly logicalNamespace: string;
  /** Full image reference with the run's tag. */
  readonly imageRef: string;
}

export interface PullSecretUser {
  readonly logicalName: string;
  readonly username: string;
  /** Generated per run; a secret: never logged or reported. */
  readonly password: string;
  readonly repositories: readonly string[];
}

export interface ScenarioInstance {
  readonly scenario: Scenario;
  /** Short, stable id of this scenario in this run (namespaces, audiences, provider name). */
  readonly id: string;
  readonly namespaces: ReadonlyMap<string, string>;
  readonly serviceAccounts: readonly { readonly namespace: string; readonly name: string; readonly annotations: Readonly<Record<string, string>> }[];
  readonly images: readonly { readonly repository: string; readonly tag: string; readonly ref: string }[];
  readonly pods: readonly InstancePod[];
  readonly policy: Policy;
  /** The audience kubelet requests tokens for (the provider's). */
  readonly providerAudience: string;
  /** The audience the token service accepts for this scenario. */
  readonly acceptedAudience: string;
  readonly provider: CredentialProviderSpec;
  readonly pullSecretUsers: readonly PullSecretUser[];
  /** Node-audience RBAC to apply, or undefined when the scenario withholds it entirely. */
  readonly nodeAudienceGrant?: NodeAudienceGrant;
}

const MAX_LABEL = 63;

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A DNS label `<base>-<suffix>` no longer than 63 characters. */
function label(base: string, suffix: string): string {
  const room = MAX_LABEL - suffix.length - 1;
  return `${base.slice(0, room).replace(/-+$/, '')}-${suffix}`;
}

/**
 * Stable per scenario (provider name, audience, RBAC names): a reused cluster keeps the same
 * CredentialProviderConfig, so its config hash still matches.
 */
export function scenarioId(scenario: Scenario): string {
  return shortHash(scenario.name, 6);
}

/** Per scenario and run: namespaces, so every run starts with fresh service accounts (new UIDs). */
export function namespaceSuffix(scenario: Scenario, runId: string): string {
  return shortHash(`${scenario.name}\0${runId}`, 6);
}

export function newRunId(): string {
  return `${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
}

function prefixRepositories(scenario: Scenario, repositories: readonly string[]): string[] {
  return repositories.map((r) => `${scenario.name}/${r}`);
}

export function instantiate(scenario: Scenario, context: InstanceContext, secret: (name: string) => string = () => randomBytes(18).toString('base64url')): ScenarioInstance {
  const id = scenarioId(scenario);
  const suffix = namespaceSuffix(scenario, context.runId);
  const logicalNamespaces = new Set([...scenario.serviceAccounts.map((sa) => sa.namespace), ...scenario.pods.map((p) => p.namespace)]);
  const namespaces = new Map([...logicalNamespaces].map((ns) => [ns, label(ns, suffix)]));
  const ns = (logical: string): string => namespaces.get(logical) ?? label(logical, suffix);
  const tag = context.runId;
  const images = scenario.images.map((repo) => {
    const repository = `${scenario.name}/${repo}`;
    return { repository, tag, ref: `${context.registryHost}/${repository}:${tag}` };
  });
  const refOf = (repo: string): string => images.find((i) => i.repository === `${scenario.name}/${repo}`)?.ref ?? `${context.registryHost}/${scenario.name}/${repo}:${tag}`;

  // Namespace globs in grants refer to the scenario's logical namespaces; a `*` namespace means
  // "any of this scenario's namespaces", never another scenario's.
  const namespaceGlob = (glob: string): string[] => (glob.includes('*') ? [...logicalNamespaces].filter((n) => new RegExp(`^${glob.replaceAll('*', '[^/]*')}$`).test(n)).map(ns) : [ns(glob)]);

  const subjects: SubjectRule[] = (scenario.registry.grants ?? []).flatMap((grant, i) =>
    namespaceGlob(grant.namespace).map((namespace) => ({
      name: `${scenario.name}/grants[${i}]`,
      match: { namespace, serviceAccount: grant.serviceAccount },
      grants: [{ repositories: prefixRepositories(scenario, grant.repositories), actions: [...grant.actions] }],
    })),
  );
  const roles: Role[] = (scenario.registry.roles ?? []).map((role) => ({
    name: `${scenario.name}.${role.name}`,
    trust: role.trust.flatMap((t) => namespaceGlob(t.namespace).map((namespace) => ({ namespace, serviceAccount: t.serviceAccount }))),
    grants: [{ repositories: prefixRepositories(scenario, role.repositories), actions: [...role.actions] }],
  }));

  // Role names are scenario-scoped in the policy, so annotations naming a role are rewritten the same way.
  const roleAnnotation = scenario.provider.roleAnnotation;
  const serviceAccounts = scenario.serviceAccounts.map((sa) => {
    const annotations = { ...(sa.annotations ?? {}) };
    if (roleAnnotation && annotations[roleAnnotation] !== undefined) annotations[roleAnnotation] = `${scenario.name}.${annotations[roleAnnotation]}`;
    return { namespace: ns(sa.namespace), name: sa.name, annotations };
  });

  const providerAudience = `${scenario.provider.audience}.${id}`;
  const acceptedAudience = `${scenario.registry.acceptedAudience ?? scenario.provider.audience}.${id}`;
  const providerName = `pullproof-${id}`;
  const provider: CredentialProviderSpec = {
    name: providerName,
    matchImages: [`${context.registryHost}/${scenario.name}/`],
    // The plugin always states its own cacheDuration; 0s keeps anything it forgets out of the cache.
    defaultCacheDuration: '0s',
    args: [
      '--mode', scenario.provider.mode,
      ...(scenario.provider.mode === 'exchange' ? ['--exchange-url', context.tokenServiceUrl] : []),
      ...(roleAnnotation ? ['--role-annotation', roleAnnotation] : []),
      // No --cache-type: the plugin would refuse a pass-through + ServiceAccount config itself, and the
      // scenarios must show what kubelet does with it (drops the echoed token, plugin.go 1.34+).
    ],
    tokenAttributes: {
      serviceAccountTokenAudience: providerAudience,
      ...(scenario.provider.cacheType ? { cacheType: scenario.provider.cacheType } : {}),
      requireServiceAccount: scenario.provider.requireServiceAccount,
      ...(scenario.provider.requiredAnnotations ? { requiredServiceAccountAnnotationKeys: [...scenario.provider.requiredAnnotations] } : {}),
      ...(scenario.provider.optionalAnnotations ? { optionalServiceAccountAnnotationKeys: [...scenario.provider.optionalAnnotations] } : {}),
    },
  };

  const pullSecretUsers = (scenario.registry.pullSecretUsers ?? []).map((user) => ({
    logicalName: user.name,
    username: `${scenario.name}.${user.name}`,
    password: secret(user.name),
    repositories: prefixRepositories(scenario, user.repositories),
  }));

  const grant = scenario.nodeAudienceGrant;
  const nodeAudienceGrant: NodeAudienceGrant | undefined =
    grant === false
      ? undefined
      : { roleName: `pullproof-node-audience-${id}`, audience: providerAudience, ...(Array.isArray(grant) ? { serviceAccountNames: [...(grant as readonly string[])] } : {}) };

  return {
    scenario,
    id,
    namespaces,
    serviceAccounts,
    images,
    pods: scenario.pods.map((pod) => ({ ...pod, logicalNamespace: pod.namespace, namespace: ns(pod.namespace), imageRef: refOf(pod.image) })),
    policy: { subjects, roles },
    providerAudience,
    acceptedAudience,
    provider,
    pullSecretUsers,
    ...(nodeAudienceGrant ? { nodeAudienceGrant } : {}),
  };
}

/** One policy for a token service shared by several scenario instances (their subjects never overlap). */
export function combinedPolicy(instances: readonly ScenarioInstance[]): Policy {
  return { subjects: instances.flatMap((i) => i.policy.subjects), roles: instances.flatMap((i) => i.policy.roles) };
}
