import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { imageExists } from '../../registry/container/local-image.ts';
import { type RegistryHost, writeCertsDir } from './certs-dir.ts';
import { type CredentialProviderSpec, credentialProviderConfig, renderCredentialProviderConfig } from './credential-provider-config.ts';
import { ClusterAbortedError, ClusterStepError, KindVersionError, NodeImageMissingError } from './errors.ts';
import { CONFIG_HASH_LABEL, type ClusterNeeds, type KindClusterConfig, kindClusterConfig, kindConfigHash, renderKindConfig } from './kind-config.ts';
import { CLUSTER_LABEL, ROLE_LABEL, clusterContainers, kindCreate, kindDelete, kindExportLogs, kindKubeconfig, kindVersion, readNodeFile } from './kind-cli.ts';
import { type KindNetwork, ensureKindNetwork, removeKindNetworkIfOurs } from './kind-network.ts';
import { type KubernetesVersion, kubernetesRelease } from './versions.ts';

/**
 * Cluster lifecycle as kind's own create flow reads: a list of named steps, each one function with
 * one job and one status line —
 *   preflight → ensure network → start services → write node files → create cluster →
 *   trust cluster issuer → apply node-audience RBAC → ready.
 * Registry/token service, provider bundle, issuer trust and RBAC belong to other parts of the
 * harness and come in as hooks. Anything a step creates is undone if a later step fails or the
 * AbortSignal fires (Ctrl-C), unless `keep` is set and the failure is not an abort.
 */

/** Started by the `startServices` hook: what nodes must reach, and how to stop it again. */
export interface ClusterServices {
  readonly registries: readonly RegistryHost[];
  readonly stop: () => Promise<void>;
}

export interface StepContext {
  readonly signal: AbortSignal;
  readonly network: KindNetwork;
  readonly workDir: string;
}

export interface CreatedClusterInfo {
  readonly name: string;
  readonly kubeconfigPath: string;
  readonly nodes: readonly string[];
}

export interface ClusterHooks {
  /** Registry container(s) on the kind network + token service (realm on `network.gateway`). */
  readonly startServices?: (ctx: StepContext) => Promise<ClusterServices>;
  /** Fills `dir` with the provider bundle (`bin/<provider>` …), e.g. `buildProviderBundle({ outDir: dir, … })`. It may replace `dir`. */
  readonly writeProviderBundle: (dir: string, ctx: StepContext) => Promise<void>;
  /** fetchIssuerTrust() → token service trust (kindest/node's API server or the stand-in's). Omit when the cluster runs no API server. */
  readonly trustClusterIssuer?: (cluster: CreatedClusterInfo, ctx: StepContext) => Promise<void>;
  /** applyObjects(nodeAudienceRbac(...)); the stand-in API server stores RBAC but does not enforce it. */
  readonly applyNodeAudienceRbac?: (cluster: CreatedClusterInfo, ctx: StepContext) => Promise<void>;
}

export type NeedsInput = Omit<ClusterNeeds, 'providerBundleDir' | 'providerConfigPath' | 'certsDir' | 'kindVersionFile'>;

export interface ClusterSpec {
  /** `pullproof-…`; see newClusterName(). */
  readonly name: string;
  readonly version: KubernetesVersion;
  readonly needs: NeedsInput;
  readonly providers: readonly CredentialProviderSpec[];
  /** Host directory for generated node files. Keep it stable across runs to make `reuse` possible (paths are part of the config hash). */
  readonly workDir: string;
  /** Where node logs go on failure (`kind export logs`). Defaults to `<workDir>/logs`. */
  readonly artifactsDir?: string;
  /** Mount a `/kind/version` with the table's release: stand-in nodes impersonate that Kubernetes version. */
  readonly impersonateRelease?: boolean;
  /** Reuse a running cluster whose config hash matches instead of creating one. */
  readonly reuse?: boolean;
  /** On a (non-abort) failure, leave the cluster for debugging. */
  readonly keep?: boolean;
  /** kind --wait; the control plane must report Ready within it. */
  readonly waitSeconds?: number;
}

export interface CreateOptions {
  readonly signal?: AbortSignal;
  /** One status line per step. */
  readonly log?: (line: string) => void;
}

export interface Cluster extends CreatedClusterInfo {
  readonly configHash: string;
  readonly config: KindClusterConfig;
  readonly reused: boolean;
  readonly network: KindNetwork;
  /** Removes the cluster, the services and the kind network if we created it and it is empty. */
  readonly delete: () => Promise<void>;
}

/** `v0.33.0` ≥ `v0.31.0`, numerically per component. */
export function semverAtLeast(found: string, required: string): boolean {
  const parts = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
  const [a, b] = [parts(found), parts(required)];
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** `pullproof-<purpose>-<random>`: unique per run, recognisable in `kind get clusters`. */
export function newClusterName(purpose: string): string {
  return `pullproof-${purpose}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Copies the built bundle into the bind-mounted directory *in place*: a bind mount holds the
 * directory's inode, so a bundle swapped in by rename after the nodes started (reuse) would be
 * invisible to them.
 */
async function syncInto(src: string, mounted: string): Promise<void> {
  await mkdir(mounted, { recursive: true });
  for (const entry of await readdir(mounted)) await rm(join(mounted, entry), { recursive: true, force: true });
  await cp(src, mounted, { recursive: true, preserveTimestamps: true });
}

/** Removes the kind network this create made; says so when something else still holds it. */
async function removeOurNetwork(name: string, log: (line: string) => void): Promise<void> {
  const outcome = await removeKindNetworkIfOurs(name);
  if (outcome === 'in-use') log(` ! kept docker network ${name}: containers are still attached (docker network inspect ${name})`);
}

/** LIFO undo list: each step registers how to take back what it made. */
class Undo {
  readonly #actions: { what: string; run: () => Promise<unknown> }[] = [];
  push(what: string, run: () => Promise<unknown>): void { this.#actions.push({ what, run }); }
  async runAll(log: (l: string) => void): Promise<void> {
    for (const action of this.#actions.reverse()) {
      try { await action.run(); } catch (error) { log(` ! cleanup "${action.what}" failed: ${error instanceof Error ? error.message : String(error)}`); }
    }
    this.#actions.length = 0;
  }
}

async function findReusable(hash: string): Promise<string | undefined> {
  const r = await execa('docker', ['ps', '--filter', `label=${ROLE_LABEL}=control-plane`, '--format', `{{.Label "${CLUSTER_LABEL}"}}\t{{.Names}}`], { reject: false });
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [cluster, node] = line.split('\t');
    if (!cluster?.startsWith('pullproof-') || !node) continue;
    // kind writes node labels into the kubeadm config's node-labels (Init and Join): the hash is on every node.
    const conf = await readNodeFile(node, '/kind/kubeadm.conf').catch(() => '');
    if (conf.includes(`${CONFIG_HASH_LABEL}=${hash}`)) return cluster;
  }
  return undefined;
}

export async function createCluster(spec: ClusterSpec, hooks: ClusterHooks, options: CreateOptions = {}): Promise<Cluster> {
  const signal = options.signal ?? new AbortController().signal;
  const log = options.log ?? (() => undefined);
  const undo = new Undo();
  const paths = {
    bundle: join(spec.workDir, 'provider'),
    bundleBuild: join(spec.workDir, 'provider.build'),
    providerConfig: join(spec.workDir, 'credential-provider-config.yaml'),
    certs: join(spec.workDir, 'certs.d'),
    kindVersion: join(spec.workDir, 'kind-version'),
    kindConfig: join(spec.workDir, 'kind-config.yaml'),
    kubeconfig: join(spec.workDir, 'kubeconfig'),
    logs: join(spec.artifactsDir ?? join(spec.workDir, 'logs'), spec.name),
  };
  const providerConfig = renderCredentialProviderConfig(credentialProviderConfig(spec.version, spec.providers));
  const config = kindClusterConfig({
    name: spec.name,
    version: spec.version,
    startupInputs: [providerConfig],
    needs: {
      ...spec.needs,
      providerBundleDir: paths.bundle,
      providerConfigPath: paths.providerConfig,
      certsDir: paths.certs,
      ...(spec.impersonateRelease ? { kindVersionFile: paths.kindVersion } : {}),
    },
  });
  const configHash = config.nodes[0]?.labels?.[CONFIG_HASH_LABEL] ?? kindConfigHash(config, [providerConfig]);
  const image = config.nodes[0]?.image ?? spec.version.nodeImage;
  let current = 'preflight';
  let clusterMayExist = false;

  async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
    current = name;
    signal.throwIfAborted();
    const started = performance.now();
    const result = await run();
    signal.throwIfAborted();
    log(` ✓ ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  }

  let services: ClusterServices | undefined;
  try {
    await step('preflight', async () => {
      const kind = await kindVersion();
      if (!semverAtLeast(kind, spec.version.minKind)) throw new KindVersionError(kind, spec.version.minKind, spec.version.minor);
      if (!(await imageExists(image))) {
        const pulled = await execa('docker', ['pull', image], { reject: false, all: true, cancelSignal: signal });
        if (pulled.exitCode !== 0) throw new NodeImageMissingError(image, pulled.all.trim().split('\n').pop() ?? 'docker pull failed');
      }
    });
    const net = await step('ensure network', () => ensureKindNetwork());
    if (net.created) undo.push('remove kind network', () => removeOurNetwork(net.name, log));
    const ctx: StepContext = { signal, network: net, workDir: spec.workDir };

    if (hooks.startServices) {
      const started = await step('start registry and token service', () => hooks.startServices!(ctx));
      services = started;
      undo.push('stop services', () => started.stop());
    }

    await step('write node files', async () => {
      await mkdir(paths.bundleBuild, { recursive: true });
      await hooks.writeProviderBundle(paths.bundleBuild, ctx);
      await syncInto(paths.bundleBuild, paths.bundle);
      await writeFile(paths.providerConfig, providerConfig);
      await writeCertsDir(paths.certs, services?.registries ?? []);
      if (spec.impersonateRelease) await writeFile(paths.kindVersion, `${kubernetesRelease(spec.version)}\n`);
      await writeFile(paths.kindConfig, renderKindConfig(config));
    });

    const reusedName = spec.reuse ? await findReusable(configHash) : undefined;
    const name = reusedName ?? spec.name;
    if (reusedName) {
      await step(`reuse cluster ${reusedName}`, async () => writeFile(paths.kubeconfig, await kindKubeconfig(reusedName)));
    } else {
      clusterMayExist = true;
      undo.push(`delete cluster ${spec.name}`, () => kindDelete(spec.name, paths.kubeconfig));
      await step(`create cluster ${spec.name}`, () => kindCreate(spec.name, {
        configPath: paths.kindConfig, kubeconfigPath: paths.kubeconfig, waitSeconds: spec.waitSeconds ?? 120, signal,
      }));
    }
    const info: CreatedClusterInfo = { name, kubeconfigPath: paths.kubeconfig, nodes: await clusterContainers(name) };
    if (hooks.trustClusterIssuer) await step('trust cluster issuer', () => hooks.trustClusterIssuer!(info, ctx));
    if (hooks.applyNodeAudienceRbac) await step('apply node-audience RBAC', () => hooks.applyNodeAudienceRbac!(info, ctx));
    log(` ✓ ready: ${name} (${info.nodes.length} nodes, config ${configHash})`);

    const stopServices = services?.stop;
    let deleted = false;
    return {
      ...info, configHash, config, reused: Boolean(reusedName), network: net,
      delete: async () => {
        if (deleted) return;
        deleted = true;
        await kindDelete(name, paths.kubeconfig);
        await stopServices?.();
        if (net.created) await removeOurNetwork(net.name, log);
      },
    };
  } catch (error) {
    const aborted = signal.aborted;
    let logsDir: string | undefined;
    if (!aborted && clusterMayExist && (await clusterContainers(spec.name)).length > 0) {
      if (await kindExportLogs(spec.name, paths.logs)) logsDir = paths.logs;
    }
    if (aborted || !spec.keep) await undo.runAll(log);
    else log(` ! keeping what was created for debugging: kind delete cluster --name ${spec.name}`);
    log(` ✗ ${current}`);
    if (aborted) throw new ClusterAbortedError(spec.name, current, signal.reason);
    throw new ClusterStepError(spec.name, current, error, logsDir);
  }
}
