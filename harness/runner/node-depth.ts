import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildProviderBundle } from '../../provider/index.ts';
import { ensureKindNetwork, removeKindNetworkIfOurs } from '../cluster/kind-network.ts';
import { createCluster, newClusterName, type Cluster } from '../cluster/lifecycle.ts';
import { NODE_PATHS } from '../cluster/node-paths.ts';
import { bundleNodeRunner, installNodeRunner, runConformanceInNode } from '../cluster/node-runner.ts';
import { ensureStandinNodeImage } from '../cluster/standin-image.ts';
import type { KubernetesVersion } from '../cluster/versions.ts';
import { formatTrace, type ConformanceResult } from '../conformance/index.ts';
import { redactText } from '../results/redact.ts';
import type { PodResult, Verdict, VersionResult } from '../results/model.ts';
import { applicability } from '../scenario/define.ts';
import type { Scenario } from '../scenario/types.ts';
import { compare } from '../verdict/compare.ts';
import { startPullEnvironment, type PullEnvironment } from './environment.ts';
import { auditEvidence } from './evidence.ts';
import { instantiate, type InstancePod, type ScenarioInstance } from './instantiate.ts';
import { ensureSecretPulledImagesGate, failedScenario, reportedGates, notApplicableResult, pullVerdict, ranPod, scenarioResult, skipped, serviceAccountOf } from './pod-results.ts';
import { runLimited, runPods } from './schedule.ts';

/**
 * Node depth (DESIGN.md decision 8b): the real kind binary creates a cluster from the stand-in node
 * image with every scenario's provider in its CredentialProviderConfig; inside the node, the
 * kubelet-exact runner reads the mounted config and bin dir, runs our plugin with the bundle's
 * Node, reaches the token realm on the kind gateway, and the node's containerd pulls through the
 * mounted hosts.toml. The node runs no kubelet or API server, so cluster-only expectations are
 * reported as not checked here.
 */

export interface NodeDepthOptions {
  readonly scenarios: readonly Scenario[];
  readonly kubernetes: KubernetesVersion;
  readonly runId: string;
  readonly parallel?: number;
  readonly auditFile?: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

/** containerd inside the stand-in node, where kind's node image runs it. */
const NODE_CONTAINERD = '/run/containerd/containerd.sock';

interface InNodeResult extends Omit<ConformanceResult, 'secretCredentials'> {
  readonly pull?: ConformanceResult['pull'];
}

async function nodeIp(node: string): Promise<string> {
  const r = await execa('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', node]);
  return r.stdout.trim().split(/\s+/)[0] ?? '';
}

/** kubelet tries imagePullSecrets' credentials first; the node's containerd does the pull. */
async function pullWithSecretInNode(node: string, image: string, username: string, password: string): Promise<{ ok: boolean; message: string }> {
  const namespace = `pullproof-secret-${randomBytes(4).toString('hex')}`;
  const ctr = ['exec', node, 'ctr', '--address', NODE_CONTAINERD, '-n', namespace];
  const r = await execa('docker', [...ctr, 'images', 'pull', '--hosts-dir', NODE_PATHS.certsDir, '--user', `${username}:${password}`, image], { reject: false });
  await execa('docker', [...ctr, 'images', 'rm', image], { reject: false });
  await execa('docker', ['exec', node, 'ctr', '--address', NODE_CONTAINERD, 'namespaces', 'rm', namespace], { reject: false });
  const message = r.exitCode === 0 ? 'pulled' : (r.stderr.trim().split('\n').pop() ?? `ctr exited ${r.exitCode}`).replace(/^ctr: /, '');
  return { ok: r.exitCode === 0, message: message.replaceAll(password, '[REDACTED]') };
}

interface NodeContext {
  readonly node: string;
  readonly ip: string;
  readonly env: PullEnvironment;
  readonly kubernetes: KubernetesVersion;
  readonly uids: Map<string, string>;
}

async function runPodInNode(pod: InstancePod, instance: ScenarioInstance, ctx: NodeContext): Promise<PodResult> {
  const expectation = instance.scenario.expect[pod.name];
  if (!expectation) throw new Error(`scenario ${instance.scenario.name} has no expectation for pod ${pod.name}`);
  if (expectation.depth === 'cluster') return skipped(pod, instance, 'not-checked-at-depth', `checked at cluster depth only: ${expectation.why ?? ''}`);
  const saKey = `${pod.namespace}/${pod.serviceAccount}`;
  if (pod.recreateServiceAccountFirst || !ctx.uids.has(saKey)) ctx.uids.set(saKey, randomUUID());
  const sa = serviceAccountOf(pod, instance);
  const started = Date.now();
  const trace: string[] = [];

  const secretUser = pod.imagePullSecret ? instance.pullSecretUsers.find((u) => u.logicalName === pod.imagePullSecret) : undefined;
  let verdict: Verdict | undefined;
  if (secretUser) {
    const attempt = await pullWithSecretInNode(ctx.node, pod.imageRef, secretUser.username, secretUser.password);
    trace.push(`pull imagePullSecret ${secretUser.logicalName}: ${attempt.message}`);
    if (attempt.ok) verdict = { kind: 'pulled', reason: 'Pulled' };
  }
  if (!verdict) {
    // Each run mints with its own issuer, served from the node's address; the token service trusts it by discovery.
    const discovery = `${ctx.ip}:${20000 + Math.floor(Math.random() * 20000)}`;
    ctx.env.tokenService.trustIssuer({ issuer: `http://${discovery}` });
    const run = await runConformanceInNode(ctx.node, [
      '--image', pod.imageRef, '--k8s', ctx.kubernetes.minor, '--feature-gates', 'KubeletServiceAccountTokenForCredentialProviders=true',
      '--namespace', pod.namespace, '--pod-name', pod.name, '--service-account', pod.serviceAccount,
      '--service-account-uid', ctx.uids.get(saKey) ?? randomUUID(), '--node-name', ctx.node,
      ...Object.entries(sa?.annotations ?? {}).flatMap(([k, v]) => ['--annotation', `${k}=${v}`]),
      '--serve-discovery', discovery, '--pull', '--containerd-address', NODE_CONTAINERD, '--hosts-dir', NODE_PATHS.certsDir, '--json',
    ]);
    if (run.exitCode !== 0 && run.exitCode !== 3) {
      throw new Error(`the conformance runner in node ${ctx.node} failed (exit ${String(run.exitCode)}) for ${instance.scenario.name}/${pod.name}: ${redactText(run.stderr.trim() || run.stdout.trim()).slice(0, 600)}`);
    }
    const result = JSON.parse(run.stdout) as InNodeResult;
    trace.push(...formatTrace({ ...result, secretCredentials: [] }).split('\n'), ...(result.pull?.attempts ?? []).map((a) => `pull ${a.credentialSource ?? 'anonymous'}: ${a.message}`));
    verdict = pullVerdict(pod.imageRef, result.pull?.outcome === 'pulled', result.pull?.message);
  }
  const comparison = compare(expectation.fate, verdict, ensureSecretPulledImagesGate(instance.scenario, ctx.kubernetes));
  return ranPod(pod, instance, {
    verdict,
    comparison,
    started,
    evidence: { events: [], kubeletLog: [], audit: auditEvidence(ctx.env.tokenService.auditFor({ namespace: pod.namespace, serviceAccount: pod.serviceAccount })), trace: trace.map(redactText) },
  });
}

export async function runAtNodeDepth(options: NodeDepthOptions): Promise<VersionResult> {
  const log = options.log ?? (() => undefined);
  const { kubernetes, runId } = options;
  const applicable = options.scenarios.filter((s) => applicability(s, kubernetes.minor).applies);
  // Nothing to run on this version: report every scenario as not applicable without starting anything.
  if (applicable.length === 0) {
    return { kubernetes: kubernetes.minor, depth: 'node', environment: { featureGates: reportedGates(kubernetes) }, scenarios: options.scenarios.map((s) => notApplicableResult(s, kubernetes, runId, '(no registry started)')) };
  }
  const nodeImage = await ensureStandinNodeImage({ ...(options.signal ? { signal: options.signal } : {}), log });
  const network = await ensureKindNetwork();
  // A run-unique alias: several runs (or test files) may share the kind network.
  const alias = `pullproof-registry-${randomBytes(3).toString('hex')}`;
  const registryHost = `${alias}:5000`;
  const workDir = await mkdtemp(join(tmpdir(), 'pullproof-node-depth-'));
  let env: PullEnvironment | undefined;
  let cluster: Cluster | undefined;
  try {
    env = await startPullEnvironment({
      network: network.name,
      registryAlias: alias,
      tokenServiceListen: { host: network.gateway, port: 0 },
      issuers: [],
      ...(options.auditFile ? { auditFile: options.auditFile } : {}),
    });
    const pullEnv = env;
    const instances = applicable.map((s) => instantiate(s, { runId, kubernetes, registryHost, tokenServiceUrl: pullEnv.tokenService.baseUrl }));
    await pullEnv.prepare(instances);
    cluster = await createCluster(
      {
        name: newClusterName('node'),
        version: kubernetes,
        needs: { workers: 0, nodeImage },
        providers: instances.map((i) => i.provider),
        workDir,
        impersonateRelease: true,
      },
      {
        startServices: () => Promise.resolve({ registries: [{ host: registryHost, server: `http://${registryHost}` }], stop: () => Promise.resolve() }),
        writeProviderBundle: async (dir) => {
          await buildProviderBundle({ outDir: dir, providerName: instances.map((i) => i.provider.name) });
        },
      },
      { ...(options.signal ? { signal: options.signal } : {}), log },
    );
    const node = cluster.nodes[0];
    if (!node) throw new Error(`kind created cluster ${cluster.name} without nodes`);
    await installNodeRunner(node, await bundleNodeRunner());
    const ip = await nodeIp(node);
    const results = await runLimited(instances, options.parallel ?? 3, (instance) =>
      (async () => {
        const started = Date.now();
        const uids = new Map<string, string>();
        const pods = await runPods(instance.pods, (pod) => {
          options.signal?.throwIfAborted();
          return runPodInNode(pod, instance, { node, ip, env: pullEnv, kubernetes, uids });
        });
        log(`  ${instance.scenario.name}: ${pods.map((p) => `${p.pod}=${p.outcome}`).join(', ')}`);
        return scenarioResult(instance.scenario, pods, Date.now() - started);
      })().catch((error: unknown) => {
        if (options.signal?.aborted) throw error;
        return failedScenario(instance, error);
      }),
    );
    const notApplicable = options.scenarios.filter((s) => !applicable.includes(s)).map((s) => notApplicableResult(s, kubernetes, runId, registryHost));
    return {
      kubernetes: kubernetes.minor,
      depth: 'node',
      environment: { nodeImage, featureGates: reportedGates(kubernetes) },
      scenarios: [...results, ...notApplicable],
    };
  } finally {
    await cluster?.delete();
    await env?.close();
    if (network.created) await removeKindNetworkIfOurs(network.name);
    await rm(workDir, { recursive: true, force: true });
  }
}
