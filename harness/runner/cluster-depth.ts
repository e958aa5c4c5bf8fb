import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
import type { JWK } from 'jose';
import { buildProviderBundle } from '../../provider/index.ts';
import { applyObjects, fetchIssuerTrust } from '../cluster/kube-api.ts';
import { nodeAudienceRbac } from '../cluster/node-audience-rbac.ts';
import { ensureKindNetwork, removeKindNetworkIfOurs } from '../cluster/kind-network.ts';
import { kindExportLogs } from '../cluster/kind-cli.ts';
import { createCluster, newClusterName, type Cluster, type NeedsInput } from '../cluster/lifecycle.ts';
import { isStandinImage } from '../cluster/standin-image.ts';
import { STANDIN_NODE_FILES } from '../../standin/paths.ts';
import type { KubernetesVersion } from '../cluster/versions.ts';
import type { PodResult, ScenarioResult, VersionResult } from '../results/model.ts';
import { applicability } from '../scenario/define.ts';
import type { PluginSpec, Scenario } from '../scenario/types.ts';
import { installPlugins, resolvePlugin, withPlugin } from './plugin-choice.ts';
import { compare } from '../verdict/compare.ts';
import { startPullEnvironment, type PullEnvironment } from './environment.ts';
import { auditEvidence } from './evidence.ts';
import { instantiate, type InstancePod, type ScenarioInstance } from './instantiate.ts';
import { kubeletLogLines, kubeletLogNeedles } from './kubelet-log.ts';
import { labelledNodeAudienceRbac, syncNodeAudienceRbac } from './node-audience.ts';
import { namespaceManifests, podManifest, pullSecretManifests, serviceAccountManifests } from './manifests.ts';
import { ensureSecretPulledImagesGate, failedScenario, notApplicableResult, reportedGates, ranPod, scenarioResult, serviceAccountOf, skipped } from './pod-results.ts';
import { awaitPodFate } from './pod-watch.ts';
import { runLimited } from './schedule.ts';
import { runScenarioItems, type StepEnvironment } from './steps.ts';

/**
 * The cluster runner (DESIGN.md decision 8): kind clusters, manifests, RBAC sync, token-service
 * trust, pod watch, verdicts, evidence, artifacts and cleanup. Scenarios are grouped by the cluster
 * configuration they need (one cluster per group); the scenarios of a group run in parallel, each
 * in its own namespaces.
 *
 * The node image decides the depth, nothing else: kindest/node (real kubelet and API server) is
 * cluster depth; a stand-in node image (label org.pullproof.standin: stand-in API server and
 * kubelet, harness/cluster/standin-image.ts) is node depth, where expectations only a real kubelet
 * or API server can check are reported as not checked and their pods are not created.
 */

/** What the node image makes of a cluster run: kindest/node → cluster, stand-in → node. */
export type ClusterRunDepth = 'cluster' | 'node';

export interface ClusterDepthOptions {
  readonly scenarios: readonly Scenario[];
  readonly kubernetes: KubernetesVersion;
  readonly runId: string;
  readonly parallel?: number;
  readonly reuse?: boolean;
  readonly keep?: boolean;
  /** Host directory for generated node files (stable across runs so `reuse` can match). */
  readonly workRoot: string;
  /** Where `kind export logs` goes when a cluster step or a pod expectation fails. */
  readonly artifactsDir: string;
  readonly auditFile?: string;
  /** How long a pod may take to reach a verdict. */
  readonly podTimeoutMs?: number;
  /** Token-service port on the kind gateway (stable so reused clusters keep their provider args). */
  readonly tokenServicePort?: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  /** Another credential provider plugin for every scenario (`--plugin`), instead of ours or the scenario's own. */
  readonly plugin?: PluginSpec;
  /** The release the node image carries when it is not the table's (read from its /kind/version). */
  readonly release?: string;
}

/** Fixed on real clusters: the registry host is part of the node configuration a reused cluster must match. */
const REGISTRY_ALIAS = 'pullproof-registry';
export const DEFAULT_TOKEN_SERVICE_PORT = 45651;

/** The kubelet-side needs of a scenario, which decide which cluster it can share. */
export function clusterNeeds(scenario: Scenario): NeedsInput {
  const gate = scenario.cluster?.featureGates?.KubeletEnsureSecretPulledImages;
  const policy = scenario.cluster?.kubelet?.imagePullCredentialsVerificationPolicy;
  return { workers: 1, ...(gate !== undefined ? { ensureSecretPulledImages: gate } : {}), ...(policy ? { imagePullCredentialsVerificationPolicy: policy } : {}) };
}

export function groupByCluster(scenarios: readonly Scenario[]): { key: string; needs: NeedsInput; scenarios: Scenario[] }[] {
  const groups = new Map<string, { key: string; needs: NeedsInput; scenarios: Scenario[] }>();
  for (const scenario of scenarios) {
    const needs = clusterNeeds(scenario);
    const key = createHash('sha256').update(JSON.stringify(needs)).digest('hex').slice(0, 8);
    const group = groups.get(key) ?? { key, needs, scenarios: [] };
    group.scenarios.push(scenario);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Where a group's node files live on the host. Absolute, because kind mounts them into the nodes
 * (extraMounts need absolute host paths); stable per minor and group so `--reuse` can match.
 */
export function clusterWorkDir(workRoot: string, kubernetes: KubernetesVersion, groupKey: string): string {
  return resolve(workRoot, `k8s-${kubernetes.minor}-${groupKey}`);
}

interface PodContext {
  readonly depth: ClusterRunDepth;
  readonly kc: KubeConfig;
  readonly kubeconfigPath: string;
  readonly nodeNames: readonly string[];
  readonly core: CoreV1Api;
  readonly env: PullEnvironment;
  readonly kubernetes: KubernetesVersion;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Node each finished pod ran on (sameNodeAs). */
  readonly nodes: Map<string, string>;
}

async function recreateServiceAccount(core: CoreV1Api, namespace: string, name: string, annotations: Readonly<Record<string, string>>): Promise<void> {
  await core.deleteNamespacedServiceAccount({ namespace, name });
  // Deletion of a service account is immediate (no finalizers); creating the same name then yields a new UID.
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace, annotations: { ...annotations } } } });
}

async function serviceAccountUid(core: CoreV1Api, namespace: string, name: string): Promise<string | undefined> {
  return (await core.readNamespacedServiceAccount({ namespace, name })).metadata?.uid;
}

const isNotFound = (error: unknown): boolean => (error as { code?: number } | undefined)?.code === 404;

/**
 * kube-controller-manager creates a namespace's `default` service account asynchronously
 * (serviceaccounts_controller.go); until it exists a GET is 404 and pod admission refuses pods that
 * use it (plugin/pkg/admission/serviceaccount/admission.go). Wait for it before anything uses it.
 */
export async function awaitDefaultServiceAccount(core: CoreV1Api, namespace: string, timeoutMs = 30_000, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      await core.readNamespacedServiceAccount({ namespace, name: 'default' });
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (Date.now() + delay > deadline) throw new Error(`namespace ${namespace} has no "default" service account after ${timeoutMs / 1000} s: is kube-controller-manager running?`);
    signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function runPodInCluster(pod: InstancePod, instance: ScenarioInstance, ctx: PodContext): Promise<PodResult> {
  const expectation = instance.scenario.expect[pod.name];
  if (!expectation) throw new Error(`scenario ${instance.scenario.name} has no expectation for pod ${pod.name}`);
  if (ctx.depth === 'node' && expectation.depth === 'cluster') return skipped(pod, instance, 'not-checked-at-depth', `checked at cluster depth only: ${expectation.why ?? ''}`);
  const sa = serviceAccountOf(pod, instance);
  if (pod.recreateServiceAccountFirst) await recreateServiceAccount(ctx.core, pod.namespace, pod.serviceAccount, sa?.annotations ?? {});
  const uid = await serviceAccountUid(ctx.core, pod.namespace, pod.serviceAccount);
  const nodeName = pod.sameNodeAs ? ctx.nodes.get(`${pod.namespace}/${pod.sameNodeAs}`) : undefined;
  const created = new Date();
  await ctx.core.createNamespacedPod({ namespace: pod.namespace, body: podManifest(pod, instance, nodeName) });
  const fate = await awaitPodFate(ctx.kc, pod.namespace, pod.name, { timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const node = fate.pod?.spec?.nodeName;
  if (node) ctx.nodes.set(`${pod.namespace}/${pod.name}`, node);

  const audit = ctx.env.tokenService.auditFor({ namespace: pod.namespace, serviceAccount: pod.serviceAccount });
  let comparison = compare(expectation.fate, fate.verdict, ensureSecretPulledImagesGate(instance.scenario, ctx.kubernetes));
  if (expectation.freshGrant && comparison.outcome === 'match') {
    // A recreated account must be checked again: a grant for its new UID issued after this pod was created.
    // Only a registry token for a repository counts: /exchange grants a role, not an image.
    const fresh = audit.some((e) => e.endpoint === 'token' && e.serviceAccount?.uid === uid && e.grantedScopes.some((scope) => scope.startsWith('repository:')) && new Date(e.time) >= created);
    if (!fresh) comparison = { outcome: 'mismatch', note: `the pod started, but the token service granted nothing to service-account UID ${uid ?? '?'} after the pod was created: the cached image was reused without a fresh check` };
  }
  return ranPod(pod, instance, {
    verdict: fate.verdict,
    comparison,
    started: created.getTime(),
    evidence: {
      events: fate.events,
      kubeletLog: node ? await kubeletLogLines(node, created, kubeletLogNeedles(pod)) : [],
      audit: auditEvidence(audit),
      trace: [`pod ${pod.namespace}/${pod.name} on ${node ?? '(unscheduled)'}; service account UID ${uid ?? '?'}; pullPolicy ${pod.pullPolicy ?? 'Always'}`],
    },
  });
}

/**
 * What a scripted step acts with on a cluster: the API server through client-node (service accounts,
 * node-audience RBAC) and the node containers through `docker exec`. Names are the scenario's logical ones.
 */
function clusterStepEnvironment(instance: ScenarioInstance, ctx: Omit<PodContext, 'nodes'>): StepEnvironment {
  const ns = (logical: string): string => instance.namespaces.get(logical) ?? logical;
  const annotationsOf = (namespace: string, name: string) => instance.serviceAccounts.find((s) => s.namespace === ns(namespace) && s.name === name)?.annotations ?? {};
  const rbac = ctx.kc.makeApiClient(RbacAuthorizationV1Api);
  const workers = ctx.nodeNames.filter((n) => !n.endsWith('-control-plane'));
  return {
    depth: ctx.depth,
    kubeconfig: ctx.kubeconfigPath,
    registry: { container: ctx.env.registry.containerName, host: ctx.env.registryHost },
    kube: {
      config: () => ctx.kc,
      recreateServiceAccount: (namespace, name) => recreateServiceAccount(ctx.core, ns(namespace), name, annotationsOf(namespace, name)),
      deleteServiceAccount: async (namespace, name) => {
        await ctx.core.deleteNamespacedServiceAccount({ namespace: ns(namespace), name });
      },
      annotateServiceAccount: async (namespace, name, changes) => {
        const sa = await ctx.core.readNamespacedServiceAccount({ namespace: ns(namespace), name });
        const annotations: Record<string, string> = { ...(sa.metadata?.annotations ?? {}) };
        for (const [key, value] of Object.entries(changes)) {
          if (value === null) delete annotations[key];
          else annotations[key] = value;
        }
        await ctx.core.replaceNamespacedServiceAccount({ namespace: ns(namespace), name, body: { ...sa, metadata: { ...sa.metadata, annotations } } });
      },
      setNodeAudienceGrant: async (granted) => {
        const grant = instance.nodeAudienceGrant ?? { roleName: `pullproof-node-audience-${instance.id}`, audience: instance.providerAudience };
        if (granted) {
          await applyObjects(ctx.kubeconfigPath, labelledNodeAudienceRbac([grant]));
          return;
        }
        const [role, binding] = nodeAudienceRbac(grant);
        await rbac.deleteClusterRoleBinding({ name: binding.metadata?.name ?? '' }).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
        await rbac.deleteClusterRole({ name: role.metadata?.name ?? '' }).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
      },
    },
    node: {
      names: () => ctx.nodeNames,
      restartKubelet: async (node) => {
        for (const target of node ? [node] : workers) {
          const r = await execa('docker', ['exec', target, 'systemctl', 'restart', 'kubelet'], { reject: false, all: true });
          if (r.exitCode !== 0) throw new Error(`restarting kubelet in ${target} failed (exit ${String(r.exitCode)}): ${r.all.trim()}`);
        }
      },
    },
  };
}

/** What the results say about a node image of a release pullproof has no table entry for. */
function releaseRules(release: string, minor: string, depth: ClusterRunDepth): string {
  const stated = `node image carries ${release}: Kubernetes ${minor} rules applied (the newest minor pullproof knows at or below it)`;
  // The stand-in kubelet and API server emulate known minors only: they are told the rules' release.
  return depth === 'node' ? `${stated}; the stand-in node emulates Kubernetes ${minor}` : stated;
}

async function runScenarioInCluster(instance: ScenarioInstance, ctx: Omit<PodContext, 'nodes'>, runId: string, keep: boolean, registryHost: string): Promise<ScenarioResult> {
  const started = Date.now();
  for (const ns of namespaceManifests(instance, runId)) await ctx.core.createNamespace({ body: ns });
  try {
    for (const ns of instance.namespaces.values()) await awaitDefaultServiceAccount(ctx.core, ns, 30_000, ctx.signal);
    for (const sa of serviceAccountManifests(instance)) await ctx.core.createNamespacedServiceAccount({ namespace: sa.metadata?.namespace ?? '', body: sa });
    for (const secret of pullSecretManifests(instance, registryHost)) await ctx.core.createNamespacedSecret({ namespace: secret.metadata?.namespace ?? '', body: secret });
    const nodes = new Map<string, string>();
    const { pods, steps } = await runScenarioItems(instance, clusterStepEnvironment(instance, ctx), (pod) => runPodInCluster(pod, instance, { ...ctx, nodes }));
    return scenarioResult(instance.scenario, pods, Date.now() - started, steps);
  } finally {
    if (!keep) for (const ns of instance.namespaces.values()) await ctx.core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

/**
 * What the stand-in API server answered with "not implemented" (standin/paths.ts): a call the
 * harness or the stand-in kubelet makes that the stand-in does not emulate would otherwise show only
 * as a failed step. Empty on a healthy run; the node-depth tests require it.
 */
async function standinUnimplementedCalls(cluster: Cluster): Promise<string[]> {
  const controlPlane = cluster.nodes.find((n) => n.endsWith('-control-plane')) ?? cluster.nodes[0];
  if (!controlPlane) return [];
  const r = await execa('docker', ['exec', controlPlane, 'cat', STANDIN_NODE_FILES.unimplementedLog], { reject: false });
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/**
 * A registry kept by an earlier run (--keep, or a killed process) still answers to the alias on the
 * kind network: Docker DNS would then hand nodes either registry. Remove ours before starting.
 */
async function removeStaleRegistries(network: string, log: (line: string) => void): Promise<void> {
  const ps = await execa('docker', ['ps', '-a', '--filter', 'label=org.pullproof.component=registry', '--filter', `network=${network}`, '--format', '{{.Names}}'], { reject: false });
  for (const name of ps.stdout.split('\n').filter(Boolean)) {
    log(` ! removing registry container ${name} left on network ${network} by an earlier run`);
    await execa('docker', ['rm', '-f', name], { reject: false });
  }
}

export async function runAtClusterDepth(options: ClusterDepthOptions): Promise<VersionResult> {
  const log = options.log ?? (() => undefined);
  const { kubernetes, runId } = options;
  const override = options.plugin ? await resolvePlugin(options.plugin) : undefined;
  const applicable = options.scenarios.filter((s) => applicability(s, kubernetes.minor).applies);
  const results: ScenarioResult[] = [];
  let nodeImage = kubernetes.nodeImage;
  let gates = reportedGates(kubernetes);
  let registryImage: string | undefined;
  // A stand-in node image plays kubelet and API server: node depth (see the module comment).
  const depth: ClusterRunDepth = (await isStandinImage(kubernetes.nodeImage)) ? 'node' : 'cluster';
  // Stand-in runs may share the kind network with other runs (tests, a bench): a run-unique alias,
  // and a token service on any free port. Real clusters keep both fixed so `--reuse` can match.
  const registryAlias = depth === 'node' ? `${REGISTRY_ALIAS}-${randomBytes(3).toString('hex')}` : REGISTRY_ALIAS;
  const registryHost = `${registryAlias}:5000`;
  let clustersCreated = 0;
  const unimplemented: string[] = [];
  // Stand-in clusters are never reused (their alias and port are run-unique): their node files go
  // to a directory of this run's own, so concurrent runs cannot rewrite each other's mounted bundle.
  const workRoot = depth === 'node' ? await mkdtemp(join(tmpdir(), 'pullproof-standin-run-')) : options.workRoot;
  try {
  for (const group of groupByCluster(applicable)) {
    const network = await ensureKindNetwork();
    if (depth === 'cluster') await removeStaleRegistries(network.name, log);
    let env: PullEnvironment | undefined;
    let cluster: Cluster | undefined;
    try {
      const port = options.tokenServicePort ?? (depth === 'node' ? 0 : DEFAULT_TOKEN_SERVICE_PORT);
      env = await startPullEnvironment({
        network: network.name,
        registryAlias,
        tokenServiceListen: { host: network.gateway, port },
        ...(port !== 0 ? { tokenServicePublicBaseUrl: `http://${network.gateway}:${port}` } : {}),
        issuers: [],
        ...(options.auditFile ? { auditFile: options.auditFile } : {}),
      });
      const pullEnv = env;
      registryImage = env.registry.image.ref;
      const instances = await Promise.all(
        group.scenarios.map(async (s) => withPlugin(instantiate(s, { runId, kubernetes, registryHost, tokenServiceUrl: pullEnv.tokenService.baseUrl }), override ?? (s.plugin ? await resolvePlugin(s.plugin) : undefined), pullEnv.tokenService.baseUrl)),
      );
      const ours = instances.filter((i) => !i.plugin);
      await pullEnv.prepare(instances);
      cluster = await createCluster(
        {
          name: newClusterName(`k${kubernetes.minor.replace('.', '')}`),
          version: kubernetes,
          needs: { ...group.needs, nodeImage: kubernetes.nodeImage },
          providers: instances.map((i) => i.provider),
          workDir: clusterWorkDir(workRoot, kubernetes, group.key),
          artifactsDir: options.artifactsDir,
          // A stand-in node carries no Kubernetes release of its own: it is told the table's.
          ...(depth === 'node' ? { impersonateRelease: true } : {}),
          ...(options.reuse ? { reuse: true } : {}),
          ...(options.keep ? { keep: true } : {}),
        },
        {
          startServices: () => Promise.resolve({ registries: [{ host: registryHost, server: `http://${registryHost}` }], stop: () => Promise.resolve() }),
          writeProviderBundle: async (dir) => {
            if (ours.length > 0) await buildProviderBundle({ outDir: dir, providerName: ours.map((i) => i.provider.name) });
            await installPlugins(join(dir, 'bin'), instances);
          },
          trustClusterIssuer: async (created) => {
            const t = await fetchIssuerTrust(created.kubeconfigPath);
            pullEnv.tokenService.trustIssuer({ issuer: t.issuer, jwks: { keys: t.jwks.keys as unknown as JWK[] } });
          },
          applyNodeAudienceRbac: async (created) => {
            const { pruned } = await syncNodeAudienceRbac(created.kubeconfigPath, instances.flatMap((i) => (i.nodeAudienceGrant ? [i.nodeAudienceGrant] : [])));
            if (pruned.length > 0) log(` ! removed node-audience RBAC no scenario grants now: ${pruned.join(', ')}`);
          },
        },
        { ...(options.signal ? { signal: options.signal } : {}), log },
      );
      if (!cluster.reused) clustersCreated++;
      nodeImage = cluster.config.nodes[0]?.image ?? nodeImage;
      gates = reportedGates(kubernetes, cluster.config.featureGates);
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.kubeconfigPath);
      const core = kc.makeApiClient(CoreV1Api);
      const ctx = { depth, kc, kubeconfigPath: cluster.kubeconfigPath, nodeNames: cluster.nodes, core, env: pullEnv, kubernetes, timeoutMs: options.podTimeoutMs ?? 180_000, ...(options.signal ? { signal: options.signal } : {}) };
      // Each scenario's line as soon as it has its verdicts: progress, and the time to the first verdict.
      const groupResults = await runLimited(instances, options.parallel ?? 4, async (instance) => {
        const result = await runScenarioInCluster(instance, ctx, runId, options.keep ?? false, registryHost).catch((error: unknown) => {
          if (options.signal?.aborted) throw error;
          return failedScenario(instance, error);
        });
        log(`  ${result.name}: ${result.pods.map((p) => `${p.pod}=${p.outcome}`).join(', ')}`);
        return result;
      });
      results.push(...groupResults);
      if (depth === 'node') {
        const calls = await standinUnimplementedCalls(cluster);
        if (calls.length > 0) log(` ! the stand-in API server was sent ${calls.length} call(s) it does not implement: ${calls.join('; ')}`);
        unimplemented.push(...calls);
      }
      if (groupResults.some((r) => r.pods.some((p) => p.outcome === 'mismatch' || p.outcome === 'inconclusive'))) {
        await kindExportLogs(cluster.name, join(options.artifactsDir, 'kind-logs', cluster.name));
      }
    } finally {
      if (options.keep) {
        // The token service lives in this process and ends with it; the cluster and registry stay.
        await env?.tokenService.close();
        if (cluster) log(` ! kept cluster ${cluster.name} (kubeconfig ${cluster.kubeconfigPath}) and registry container ${env?.registry.containerName ?? ''}: kind delete cluster --name ${cluster.name}; docker rm -f ${env?.registry.containerName ?? ''}`);
      } else {
        // A reused cluster was there before this run: leave it as found.
        if (cluster && !cluster.reused) await cluster.delete();
        await env?.close();
        if (network.created) await removeKindNetworkIfOurs(network.name);
      }
    }
  }
  } finally {
    if (workRoot !== options.workRoot) await rm(workRoot, { recursive: true, force: true });
  }
  const notApplicable = options.scenarios.filter((s) => !applicable.includes(s)).map((s) => notApplicableResult(s, kubernetes, runId, registryHost));
  log(`  Kubernetes ${kubernetes.minor} at ${depth} depth: ${clustersCreated} cluster(s) created`);
  return {
    kubernetes: kubernetes.minor,
    depth,
    environment: {
      nodeImage, featureGates: gates,
      ...(override ? { plugin: override.executable } : {}),
      ...(options.release ? { kubernetesRelease: options.release, rules: releaseRules(options.release, kubernetes.minor, depth) } : {}),
      ...(registryImage ? { registryImage } : {}),
      ...(depth === 'node' ? { standinUnimplemented: [...new Set(unimplemented)] } : {}),
    },
    scenarios: [...results, ...notApplicable],
  };
}
