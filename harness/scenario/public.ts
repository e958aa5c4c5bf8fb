/**
 * What a scenario file outside this repository imports: `import { defineScenario } from 'pullproof'`
 * (package.json `exports`). While pullproof loads scenario files it also resolves `pullproof` to this
 * module itself (harness/scenario/load.ts), so a file runs without installing anything next to it.
 */
export { defineScenario, ScenarioDefinitionError } from './define.ts';
export type {
  CacheType, ClusterNeeds, DetailedExpectation, ExpectedFate, KubeActions, KubernetesRange, NodeActions, PluginEntry, PluginSpec, PodExpectation, PodSpec,
  ProviderMode, ProviderSpec, PullPolicy, RegistryAction, RegistrySpec, RoleSpec, Scenario, ScenarioInput, ServiceAccountSpec, StepContext, StepSpec, SubjectGrant,
} from './types.ts';
