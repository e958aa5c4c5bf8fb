import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProviderBundle } from '../../provider/index.ts';
import { credentialProviderConfig, renderCredentialProviderConfig } from '../cluster/credential-provider-config.ts';
import type { KubernetesVersion } from '../cluster/versions.ts';
import { defaultContainerdAddress, formatTrace, pullWithContainerd, runConformance, type PullCredential, type PullOptions } from '../conformance/index.ts';
import { LocalServiceAccountIssuer } from '../identity/local-issuer.ts';
import type { PodResult, VersionResult } from '../results/model.ts';
import { applicability } from '../scenario/define.ts';
import type { PluginSpec, Scenario } from '../scenario/types.ts';
import { installPlugins, resolvePlugin, withPlugin } from './plugin-choice.ts';
import { compare } from '../verdict/compare.ts';
import { startPullEnvironment, type PullEnvironment } from './environment.ts';
import { auditEvidence } from './evidence.ts';
import { instantiate, newRunId, type InstancePod, type ScenarioInstance } from './instantiate.ts';
import { runLimited } from './schedule.ts';
import { runScenarioItems, type StepEnvironment } from './steps.ts';
import { ensureSecretPulledImagesGate, failedScenario, reportedGates, notApplicableResult, pullVerdict, ranPod, scenarioResult, skipped, serviceAccountOf } from './pod-results.ts';

/**
 * Plugin depth (DESIGN.md decision 8c): no cluster. Each pod's pull goes through the kubelet-exact
 * runner — kubelet's provider selection, token minting (a local issuer in kube-apiserver's shape),
 * plugin exec and response checks — and then through real containerd against the real registry
 * and token service. Expectations that need a real kubelet are reported as not checked here.
 */

export interface PluginDepthOptions {
  readonly scenarios: readonly Scenario[];
  readonly kubernetes: KubernetesVersion;
  readonly runId?: string;
  /** Scenarios run concurrently (pods within one scenario follow their `after` order). */
  readonly parallel?: number;
  /** containerd used for pulls (default: dockerd's). */
  readonly containerdAddress?: string;
  readonly auditFile?: string;
  /** Ctrl-C: stop before the next pod; the registry, token service and temp files are still removed. */
  readonly signal?: AbortSignal;
  /** Progress lines for the terminal. */
  readonly log?: (line: string) => void;
  /** Another credential provider plugin for every scenario (`--plugin`), instead of ours or the scenario's own. */
  readonly plugin?: PluginSpec;
}

const KIND_ISSUER = 'https://kubernetes.default.svc.cluster.local';



/** Steps at plugin depth: the registry is there (docker can act on it); an API server and nodes are not. */
function pluginStepEnvironment(env: PullEnvironment): StepEnvironment {
  const none = (what: string) => (): Promise<never> => Promise.reject(new Error(`${what}: plugin depth has no API server or nodes; give the step depth: 'node'`));
  return {
    depth: 'plugin',
    kube: {
      config: () => { throw new Error('kube.config: plugin depth has no API server'); },
      recreateServiceAccount: none('kube.recreateServiceAccount'),
      deleteServiceAccount: none('kube.deleteServiceAccount'),
      annotateServiceAccount: none('kube.annotateServiceAccount'),
      setNodeAudienceGrant: none('kube.setNodeAudienceGrant'),
    },
    node: { names: () => [], restartKubelet: none('node.restartKubelet') },
    registry: { container: env.registry.containerName, host: env.registryHost },
  };
}

interface ScenarioFiles {
  readonly configPath: string;
}

async function runPod(
  pod: InstancePod,
  instance: ScenarioInstance,
  context: { kubernetes: KubernetesVersion; binDir: string; files: ScenarioFiles; env: PullEnvironment; issuer: LocalServiceAccountIssuer; uids: Map<string, string>; pull: PullOptions },
): Promise<PodResult> {
  const expectation = instance.scenario.expect[pod.name];
  if (!expectation) throw new Error(`scenario ${instance.scenario.name} has no expectation for pod ${pod.name}`);
  if (expectation.depth !== 'plugin') return skipped(pod, instance, 'not-checked-at-depth', `checked at ${expectation.depth} depth only: ${expectation.why ?? ''}`);

  const saKey = `${pod.namespace}/${pod.serviceAccount}`;
  // A recreated service account is a new identity: new UID (KEP-2535 records and cache keys use it).
  if (pod.recreateServiceAccountFirst || !context.uids.has(saKey)) context.uids.set(saKey, randomUUID());
  const sa = serviceAccountOf(pod, instance);
  const started = Date.now();
  const result = await runConformance({
    config: context.files.configPath,
    binDir: context.binDir,
    image: pod.imageRef,
    kubernetes: context.kubernetes.minor,
    featureGates: { KubeletServiceAccountTokenForCredentialProviders: true },
    pod: {
      namespace: pod.namespace,
      podName: pod.name,
      podUid: randomUUID(),
      serviceAccountName: pod.serviceAccount,
      serviceAccountUid: context.uids.get(saKey) ?? randomUUID(),
      serviceAccountAnnotations: sa?.annotations ?? {},
    },
    node: { name: 'pullproof-plugin-depth', uid: randomUUID() },
    tokenSource: context.issuer,
    pull: false,
  });
  // kubelet tries imagePullSecrets' credentials before the provider's (MakeDockerKeyring order).
  const secretUser = pod.imagePullSecret ? instance.pullSecretUsers.find((u) => u.logicalName === pod.imagePullSecret) : undefined;
  const credentials: PullCredential[] = [
    ...(secretUser ? [{ username: secretUser.username, password: secretUser.password, source: `imagePullSecret ${secretUser.logicalName}` }] : []),
    ...result.secretCredentials,
  ];
  const pull = await pullWithContainerd(pod.imageRef, credentials, context.pull);
  const verdict = pullVerdict(pod.imageRef, pull.outcome === 'pulled', pull.message);
  const comparison = compare(expectation.fate, verdict, ensureSecretPulledImagesGate(instance.scenario, context.kubernetes));
  return ranPod(pod, instance, {
    verdict,
    comparison,
    started,
    evidence: {
      events: [],
      kubeletLog: result.providers.flatMap((p) => (p.failure ? [p.failure.kubeletLog] : [])),
      audit: auditEvidence(context.env.tokenService.auditFor({ namespace: pod.namespace, serviceAccount: pod.serviceAccount })),
      trace: [...formatTrace(result).split('\n'), ...pull.attempts.map((a) => `pull ${a.credentialSource ?? 'anonymous'}: ${a.message}`)],
    },
  });
}

export async function runAtPluginDepth(options: PluginDepthOptions): Promise<VersionResult> {
  const log = options.log ?? (() => undefined);
  const runId = options.runId ?? newRunId();
  const kubernetes = options.kubernetes;
  const applicable = options.scenarios.filter((s) => applicability(s, kubernetes.minor).applies);
  // Nothing to run on this version: report every scenario as not applicable without starting anything.
  if (applicable.length === 0) {
    return { kubernetes: kubernetes.minor, depth: 'plugin', environment: { featureGates: reportedGates(kubernetes) }, scenarios: options.scenarios.map((s) => notApplicableResult(s, kubernetes, runId, '127.0.0.1')) };
  }
  const address = options.containerdAddress ?? defaultContainerdAddress();
  const work = await mkdtemp(join(tmpdir(), 'pullproof-plugin-depth-'));
  const issuer = await LocalServiceAccountIssuer.create({ issuer: KIND_ISSUER });
  const env = await startPullEnvironment({ issuers: [{ issuer: issuer.issuer, jwks: issuer.jwks() }], ...(options.auditFile ? { auditFile: options.auditFile } : {}) });
  try {
    const override = options.plugin ? await resolvePlugin(options.plugin) : undefined;
    const instances = await Promise.all(
      applicable.map(async (s) => withPlugin(instantiate(s, { runId, kubernetes, registryHost: env.registryHost, tokenServiceUrl: env.tokenService.baseUrl }), override ?? (s.plugin ? await resolvePlugin(s.plugin) : undefined), env.tokenService.baseUrl)),
    );
    log(`plugin depth, Kubernetes ${kubernetes.minor}: registry ${env.registry.image.ref} at ${env.registryHost}; ${instances.length} scenario(s)`);
    await env.prepare(instances);
    const ours = instances.filter((i) => !i.plugin);
    const bundle = ours.length > 0 ? await buildProviderBundle({ outDir: join(work, 'bundle'), providerName: ours.map((i) => i.provider.name) }) : { binDir: join(work, 'bundle', 'bin'), hash: '', pluginHash: '' };
    await installPlugins(bundle.binDir, instances);
    const results = await runLimited(instances, options.parallel ?? 4, (instance) =>
      (async () => {
        const dir = join(work, instance.id);
        await mkdir(dir, { recursive: true });
        const configPath = join(dir, 'credential-provider-config.yaml');
        await writeFile(configPath, renderCredentialProviderConfig(credentialProviderConfig(kubernetes, [instance.provider])));
        const started = Date.now();
        const uids = new Map<string, string>();
        const { pods, steps } = await runScenarioItems(instance, pluginStepEnvironment(env), (pod) => {
          options.signal?.throwIfAborted();
          return runPod(pod, instance, {
            kubernetes,
            binDir: bundle.binDir,
            files: { configPath },
            env,
            issuer,
            uids,
            pull: { plainHttp: true, address },
          });
        });
        log(`  ${instance.scenario.name}: ${pods.map((p) => `${p.pod}=${p.outcome}`).join(', ')}`);
        return scenarioResult(instance.scenario, pods, Date.now() - started, steps);
      })().catch((error: unknown) => {
        if (options.signal?.aborted) throw error;
        return failedScenario(instance, error);
      }),
    );
    const notApplicable = options.scenarios
      .filter((s) => !applicable.includes(s))
      .map((s) => notApplicableResult(s, kubernetes, runId, env.registryHost));
    return {
      kubernetes: kubernetes.minor,
      depth: 'plugin',
      environment: {
        featureGates: reportedGates(kubernetes),
        ...(ours.length > 0 ? { pluginVersion: `pullproof bundle ${bundle.pluginHash.slice(0, 16)}` } : {}),
        ...(override ? { plugin: override.executable } : {}),
        registryImage: env.registry.image.ref,
      },
      scenarios: [...results, ...notApplicable],
    };
  } finally {
    await env.close();
    await rm(work, { recursive: true, force: true });
  }
}

