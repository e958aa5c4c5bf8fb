import type { KubeConfig } from '@kubernetes/client-node';
import type { Shell } from 'zx';
import type { Depth } from '../results/model.ts';

/**
 * A scenario as a security reviewer reads it: who exists, what the registry allows, how the
 * provider is configured, which pods are created, and what must happen to each. No plumbing.
 */

export type ProviderMode = 'passthrough' | 'exchange';
export type CacheType = 'Token' | 'ServiceAccount';
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type RegistryAction = 'pull' | 'push' | 'delete';
export type VerificationPolicy = 'NeverVerify' | 'NeverVerifyPreloadedImages' | 'NeverVerifyAllowlistedImages' | 'AlwaysVerify';

export interface ProviderSpec {
  readonly mode: ProviderMode;
  /** `tokenAttributes.serviceAccountTokenAudience`: the audience kubelet requests tokens for. */
  readonly audience: string;
  /** Required by kubelet from 1.34; ignored (absent from the API) on 1.33. */
  readonly cacheType?: CacheType;
  readonly requireServiceAccount: boolean;
  readonly requiredAnnotations?: readonly string[];
  readonly optionalAnnotations?: readonly string[];
  /** Exchange mode: the SA annotation whose value names the role to assume. */
  readonly roleAnnotation?: string;
}

export interface ServiceAccountSpec {
  readonly namespace: string;
  readonly name: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Grants to service accounts by namespace and name globs (`*` matches within a segment). */
export interface SubjectGrant {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Repository globs, e.g. `team-a/*`. */
  readonly repositories: readonly string[];
  readonly actions: readonly RegistryAction[];
}

/** Exchange mode: a role, who may assume it, and what it grants. */
export interface RoleSpec {
  readonly name: string;
  readonly trust: readonly { readonly namespace: string; readonly serviceAccount: string }[];
  readonly repositories: readonly string[];
  readonly actions: readonly RegistryAction[];
}

/** A static registry user whose credentials a pod can carry as an imagePullSecret. */
export interface PullSecretUserSpec {
  readonly name: string;
  readonly repositories: readonly string[];
}

export interface RegistrySpec {
  readonly grants?: readonly SubjectGrant[];
  readonly roles?: readonly RoleSpec[];
  readonly pullSecretUsers?: readonly PullSecretUserSpec[];
  /** Audience the token service accepts; defaults to the provider's audience. */
  readonly acceptedAudience?: string;
}

export interface PodSpec {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** A repository from `images`, e.g. `team-a/app`; the runner gives it a unique tag. */
  readonly image: string;
  readonly pullPolicy?: PullPolicy;
  /** Create this pod only after the named pod has a verdict (cached-image cases), or the named step is done. */
  readonly after?: string;
  /** Delete and recreate the pod's service account (new UID) just before creating this pod. */
  readonly recreateServiceAccountFirst?: boolean;
  /** Name of a `registry.pullSecretUsers` entry whose credentials the pod carries. */
  readonly imagePullSecret?: string;
  /** Schedule onto the same node as the named pod (cached-image cases). */
  readonly sameNodeAs?: string;
}

/** What must happen to a pod. `denied` may carry a pattern the denial message must match. */
export type ExpectedFate = 'pulled' | 'vulnerable-if-gate-off' | { readonly denied: RegExp | string };

export interface DetailedExpectation {
  readonly fate: ExpectedFate;
  /** Shallowest depth that can check this expectation; shallower depths report it as not checked. */
  readonly depth?: Depth;
  /** Why shallower depths cannot check it, shown in their reports. */
  readonly why?: string;
  /**
   * The token service's audit must show a grant for this pod's service account (by UID) made after
   * the pod was created: proof that a cached image was not reused without a fresh check.
   */
  readonly freshGrant?: boolean;
  /**
   * A pattern the pod's evidence (token-service audit, runner trace, kubelet log, events) must show:
   * proof that the verdict has the cause the scenario is about, not another one (e.g. a 401 from
   * a wrong audience, not from a plugin that never ran).
   */
  readonly evidence?: RegExp | string;
}

export type PodExpectation = ExpectedFate | DetailedExpectation;

export interface KubernetesRange {
  /** Inclusive minor, e.g. "1.34". */
  readonly min?: string;
  readonly max?: string;
}

export interface ClusterNeeds {
  readonly featureGates?: Readonly<Record<string, boolean>>;
  readonly kubelet?: { readonly imagePullCredentialsVerificationPolicy?: VerificationPolicy };
}

/**
 * What a scripted step acts with. Names are the scenario's logical ones (`team-a`, `puller`); the
 * harness maps them to the run's. Every command (`$`) and action (`kube.*`, `node.*`) is recorded
 * with its output and exit code as evidence.
 */
export interface StepContext {
  /** zx's `$`, with KUBECONFIG set to the cluster's kubeconfig and the run's namespaces in the environment. */
  readonly $: Shell;
  /** The cluster's kubeconfig file (undefined at plugin depth: there is no API server). */
  readonly kubeconfig: string | undefined;
  /** The run's name for a logical namespace (`team-a` → `team-a-1f2e3d`). */
  readonly namespace: (logical: string) => string;
  readonly depth: Depth;
  /** Service-account and RBAC changes through the API server (node and cluster depth). */
  readonly kube: KubeActions;
  /** The kind node containers (node and cluster depth). */
  readonly node: NodeActions;
  /** The registry container this run pulls from (`docker` can stop, pause or kill it). */
  readonly registry: { readonly container: string; readonly host: string };
  readonly sleep: (ms: number) => Promise<void>;
}

export interface KubeActions {
  /** A @kubernetes/client-node KubeConfig for anything the actions below do not cover. */
  readonly config: () => KubeConfig;
  /** Delete and create the account again under the same name (new UID), with its scenario annotations. */
  recreateServiceAccount(namespace: string, name: string): Promise<void>;
  deleteServiceAccount(namespace: string, name: string): Promise<void>;
  /** Merge annotations into the account; a `null` value removes the key. */
  annotateServiceAccount(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>): Promise<void>;
  /** Grant (true) or withdraw (false) the node audience for this scenario (its `nodeAudienceGrant` RBAC). */
  setNodeAudienceGrant(granted: boolean): Promise<void>;
}

export interface NodeActions {
  readonly names: () => readonly string[];
  /** `systemctl restart kubelet` in one node (default: every worker). */
  restartKubelet(node?: string): Promise<void>;
}

/** An ordered action between pods: written with zx `$` and the helpers above, no plumbing. */
export interface StepSpec {
  readonly name: string;
  /** Run after this pod has a verdict or this step is done; without it the step runs first. */
  readonly after?: string;
  /** Shallowest depth at which the step can act (default `node`: it needs an API server). */
  readonly depth?: Depth;
  readonly run: (context: StepContext) => unknown;
}

/** Another credential provider plugin instead of pullproof's (DESIGN.md decision 9). */
export interface PluginSpec {
  /** Executable on the host (plugin depth runs it there) that kind nodes can also execute. Relative to the scenario file. */
  readonly executable: string;
  /** The provider entry's own fields (`args`, `env`, `defaultCacheDuration`, `apiVersion`), or a YAML file holding them. */
  readonly entry?: PluginEntry | string;
}

/**
 * The parts of a CredentialProviderConfig provider entry that belong to the plugin. The scenario
 * owns `name`, `matchImages` and `tokenAttributes`. In strings, `{mode}`, `{exchangeUrl}`,
 * `{roleAnnotation}` and `{audience}` are replaced with the scenario's values.
 */
export interface PluginEntry {
  readonly apiVersion?: string;
  readonly args?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value: string }[];
  readonly defaultCacheDuration?: string;
}

export interface ScenarioInput {
  readonly name: string;
  readonly summary: string;
  /** The security property this scenario protects, in one sentence. */
  readonly property: string;
  readonly kubernetes?: KubernetesRange;
  readonly cluster?: ClusterNeeds;
  readonly provider: ProviderSpec;
  /**
   * Node audience RBAC (`request-serviceaccounts-token-audience` for `system:nodes`): `true` grants
   * the audience for every SA, a list grants it per SA name, `false` withholds it.
   */
  readonly nodeAudienceGrant: boolean | readonly string[];
  readonly serviceAccounts: readonly ServiceAccountSpec[];
  readonly registry: RegistrySpec;
  /** Private repositories the scenario pushes, e.g. `['team-a/app']`. */
  readonly images: readonly string[];
  readonly pods: readonly PodSpec[];
  readonly expect: Readonly<Record<string, PodExpectation>>;
  /** Default shallowest depth for every expectation (default `plugin`). */
  readonly depth?: Depth;
  /** Scripted steps between pods, in order (see StepSpec). */
  readonly steps?: readonly StepSpec[];
  /** Run against this plugin instead of pullproof's (`pullproof run --plugin` overrides it). */
  readonly plugin?: PluginSpec;
}

/** A validated scenario: same shape, expectations normalised. */
export interface Scenario extends Omit<ScenarioInput, 'expect'> {
  readonly expect: Readonly<Record<string, Required<Pick<DetailedExpectation, 'fate' | 'depth'>> & Pick<DetailedExpectation, 'why' | 'freshGrant' | 'evidence'>>>;
}
