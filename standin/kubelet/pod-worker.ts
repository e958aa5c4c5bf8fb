import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { CoreV1Api} from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions, type KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { ImageReferenceError, imageRepository, parseDockerRef, parseNormalizedNamed } from '../../harness/conformance/image-name.ts';
import { goQuote } from '../../harness/conformance/go/quote.ts';
import { nextBackoff, type BackoffEntry } from './backoff.ts';
import type { ContainerRuntime } from './containerd.ts';
import { aggregateErrors, criPullError } from './cri-errors.ts';
import { apiErrorMessage, lookupCredentials } from './credentials.ts';
import { buildEvent, containerEvents, eventLogMessage, imageEvents, type ContainerEvent } from './events.ts';
import { buildPodStatus, statusPatch, type ContainerState, type WirePodCondition } from './pod-status.ts';

/**
 * One pod on the stand-in node: what kubelet's pod worker does for it, reduced to images and
 * containers (SyncPod → per container EnsureImageExists, CreateContainer, StartContainer; k/k
 * pkg/kubelet/kuberuntime/kuberuntime_manager.go, kuberuntime_container.go, images/image_manager.go).
 * Each container runs its own flow, as SyncPod starts each container independently.
 */

export const STANDIN_NOT_EMULATED = 'StandinNotEmulated';

export interface WorkerContext {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly nodeName: string;
  readonly nodeIp: string | undefined;
  readonly kubernetesMinor: string;
  readonly featureGates: Readonly<Record<string, boolean>>;
  readonly credentialProvider: { readonly configPath: string; readonly binDir: string } | undefined;
  readonly runtime: ContainerRuntime;
  readonly log: (severity: 'I' | 'W' | 'E', file: string, message: string) => void;
  readonly timing: { readonly backoffInitialMs: number; readonly backoffMaxMs: number; readonly backoffResyncMs: number };
}

/** API defaulting (pkg/apis/core/v1/defaults.go SetDefaults_Container): Always for `:latest` or no tag, else IfNotPresent. */
export function effectivePullPolicy(container: V1Container): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  try {
    const ref = parseNormalizedNamed(container.image ?? '');
    return ref.tag === undefined && ref.digest === undefined ? 'Always' : ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
  } catch {
    return 'IfNotPresent';
  }
}

/** KEP-2535: the stand-in cannot tell whether this pod may use an image already on the node. */
export function cachedImageMessage(image: string, policy: string): string {
  return `image ${goQuote(image)} is already present on the node and imagePullPolicy is ${policy}: the stand-in kubelet cannot decide whether this pod may use it (KEP-2535 pulled-image records and the credential verification policy live only in a real kubelet)`;
}

/** The ImagePullBackOff waiting message: `Back-off pulling image %q: <reason>: <message>` (image_manager.go, 1.32+). */
export function backOffMessage(image: string, reason: string, message: string): string {
  return `Back-off pulling image ${goQuote(image)}: ${reason}: ${message}`;
}

export class PodWorker {
  pod: V1Pod;
  readonly #ctx: WorkerContext;
  readonly #states = new Map<string, ContainerState>();
  readonly #containers = new Map<string, { id: string; process?: ChildProcess }>();
  readonly #abort = new AbortController();
  readonly #startTime = new Date();
  #conditions: WirePodCondition[] = [];
  #writes: Promise<void> = Promise.resolve();
  #backoff = new Map<string, BackoffEntry>();
  done: Promise<void> = Promise.resolve();

  constructor(ctx: WorkerContext, pod: V1Pod) {
    this.#ctx = ctx;
    this.pod = pod;
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  start(): void {
    this.done = this.#run().catch((error: unknown) => {
      this.#ctx.log('E', 'pod_workers.go', `"Error syncing pod, skipping" err="${error instanceof Error ? error.message : String(error)}" pod="${this.#podKey()}" podUID="${this.uid}"`);
    });
  }

  #podKey(): string {
    return `${this.pod.metadata?.namespace ?? ''}/${this.pod.metadata?.name ?? ''}`;
  }

  async #run(): Promise<void> {
    const containers = this.pod.spec?.containers ?? [];
    for (const c of containers) this.#states.set(c.name, { kind: 'waiting', reason: 'ContainerCreating' });
    this.#writeStatus();
    if ((this.pod.spec?.initContainers ?? []).length > 0) {
      for (const c of containers) this.#states.set(c.name, { kind: 'waiting', reason: STANDIN_NOT_EMULATED, message: 'the stand-in kubelet does not run init containers' });
      this.#writeStatus();
      return;
    }
    await Promise.all(containers.map((c) => this.#runContainer(c)));
    await this.#writes;
  }

  #event(container: string, event: ContainerEvent): void {
    const body = buildEvent(this.pod, container, event, this.#ctx.nodeName);
    this.#ctx.log('I', 'event.go', eventLogMessage(this.pod, container, event));
    const namespace = this.pod.metadata?.namespace ?? 'default';
    this.#writes = this.#writes.then(() =>
      this.#ctx.core.createNamespacedEvent({ namespace, body }).then(
        () => undefined,
        (error: unknown) => this.#ctx.log('E', 'event.go', `"Server rejected event (will not retry!)" err="${apiErrorMessage(error)}" event="${body.metadata?.name ?? ''}"`),
      ),
    );
  }

  #set(container: string, state: ContainerState): void {
    if (this.stopped) return;
    this.#states.set(container, state);
    this.#writeStatus();
  }

  #writeStatus(): void {
    const status = buildPodStatus({ pod: this.pod, states: this.#states, hostIP: this.#ctx.nodeIp, startTime: this.#startTime, previous: this.#conditions, now: new Date() });
    this.#conditions = status.conditions;
    const name = this.pod.metadata?.name ?? '';
    const namespace = this.pod.metadata?.namespace ?? 'default';
    const body = statusPatch(this.uid, status);
    this.#writes = this.#writes.then(() =>
      this.#ctx.core.patchNamespacedPodStatus({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)).then(
        () => undefined,
        (error: unknown) => this.#ctx.log('E', 'status_manager.go', `"Failed to update status for pod" pod="${namespace}/${name}" err="${apiErrorMessage(error)}"`),
      ),
    );
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const timer = setTimeout(resolve, ms);
      this.#abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  async #runContainer(container: V1Container): Promise<void> {
    const image = container.image ?? '';
    let repository: string;
    let ref: string;
    try {
      repository = imageRepository(image);
      ref = parseDockerRef(image);
    } catch (error) {
      if (!(error instanceof ImageReferenceError)) throw error;
      // image_manager.go: applyDefaultImageTag fails → InspectFailed event, InvalidImageName.
      const event = imageEvents.invalidName(image, error.message);
      this.#event(container.name, event);
      this.#event(container.name, containerEvents.error('InvalidImageName'));
      this.#set(container.name, { kind: 'waiting', reason: 'InvalidImageName', message: event.message });
      return;
    }
    const policy = effectivePullPolicy(container);
    const pulled = await this.#ensureImage(container, image, repository, ref, policy);
    if (!pulled || this.stopped) return;
    await this.#startContainer(container, repository, ref, pulled.digest);
  }

  /** EnsureImageExists for one container; resolves the pulled image, or undefined when it stops. */
  async #ensureImage(container: V1Container, image: string, repository: string, ref: string, policy: string): Promise<{ digest: string } | undefined> {
    const { runtime, timing } = this.#ctx;
    if (policy !== 'Always') {
      const present = await runtime.image(ref);
      if (present) {
        // KEP-2535 is not emulated: neither "already present" nor a re-pull is claimed.
        this.#ctx.log('W', 'image_manager.go', `stand-in: ${cachedImageMessage(image, policy)}`);
        this.#set(container.name, { kind: 'waiting', reason: STANDIN_NOT_EMULATED, message: cachedImageMessage(image, policy) });
        return undefined;
      }
      if (policy === 'Never') {
        const event = imageEvents.neverPull(image);
        this.#event(container.name, event);
        this.#event(container.name, containerEvents.error('ErrImageNeverPull'));
        this.#set(container.name, { kind: 'waiting', reason: 'ErrImageNeverPull', message: event.message });
        return undefined;
      }
    }
    const backoffKey = `${this.uid}_${image}`;
    while (!this.stopped) {
      const pullingAt = Date.now();
      this.#event(container.name, imageEvents.pulling(image));
      const lookup = await lookupCredentials({
        kc: this.#ctx.kc, pod: this.pod, repository, kubernetesMinor: this.#ctx.kubernetesMinor, featureGates: this.#ctx.featureGates,
        credentialProvider: this.#ctx.credentialProvider, nodeName: this.#ctx.nodeName,
        log: (severity, file, message) => this.#ctx.log(severity, file, message),
      });
      if (this.stopped) return undefined;
      const pullStart = Date.now();
      // An undecodable pull secret fails the pull before the runtime is asked (kuberuntime_image.go).
      const result = lookup.error === undefined ? await runtime.pull(ref, lookup.credentials) : undefined;
      if (result?.outcome === 'pulled') {
        const info = await runtime.image(ref);
        const size = info ? await runtime.imageSize(info).catch(() => 0) : 0;
        const now = Date.now();
        this.#event(container.name, imageEvents.pulled(image, now - pullStart, now - pullingAt, size));
        return { digest: info?.digest ?? '' };
      }
      const error = lookup.error ?? aggregateErrors((result?.attempts ?? []).map((a) => criPullError(ref, a.message)));
      this.#event(container.name, imageEvents.failed(image, error));
      this.#event(container.name, containerEvents.error('ErrImagePull'));
      this.#set(container.name, { kind: 'waiting', reason: 'ErrImagePull', message: error });
      const entry = nextBackoff(this.#backoff.get(backoffKey), Date.now(), timing.backoffInitialMs, timing.backoffMaxMs);
      this.#backoff.set(backoffKey, entry);
      // The next pod sync finds the image in back-off: BackOff event, ImagePullBackOff.
      const resync = Math.min(timing.backoffResyncMs, entry.delayMs);
      await this.#sleep(resync);
      if (this.stopped) return undefined;
      this.#event(container.name, imageEvents.backOff(image));
      this.#event(container.name, containerEvents.error('ImagePullBackOff'));
      this.#set(container.name, { kind: 'waiting', reason: 'ImagePullBackOff', message: backOffMessage(image, 'ErrImagePull', error) });
      await this.#sleep(entry.delayMs - resync);
    }
    return undefined;
  }

  async #startContainer(container: V1Container, repository: string, ref: string, digest: string): Promise<void> {
    const { runtime } = this.#ctx;
    const id = randomBytes(32).toString('hex');
    this.#containers.set(container.name, { id });
    const command = [...(container.command ?? []), ...(container.args ?? [])];
    const created = await runtime.create(id, ref, command);
    if (!created.ok) {
      // startContainer: CreateContainer error → `Error: %v` event, ErrCreateContainer "CreateContainerError".
      this.#event(container.name, containerEvents.error(created.message));
      this.#set(container.name, { kind: 'waiting', reason: 'CreateContainerError', message: created.message });
      return;
    }
    this.#event(container.name, containerEvents.created(container.name));
    const imageID = digest ? `${repository}@${digest}` : '';
    const containerID = `containerd://${id}`;
    let startedAt = new Date();
    const started = await runtime.start(id, (exitCode) => {
      if (this.stopped) return;
      this.#set(container.name, { kind: 'terminated', exitCode, startedAt, finishedAt: new Date(), image: ref, imageID, containerID });
    });
    if (!started.ok) {
      // StartContainer error → `Error: %v`, kubecontainer.ErrRunContainer "RunContainerError".
      this.#event(container.name, containerEvents.error(started.message));
      this.#set(container.name, { kind: 'waiting', reason: 'RunContainerError', message: started.message });
      await runtime.remove(id);
      return;
    }
    this.#containers.set(container.name, { id, process: started.process });
    startedAt = new Date();
    this.#event(container.name, containerEvents.started(container.name));
    this.#set(container.name, { kind: 'running', startedAt, image: ref, imageID, containerID });
  }

  /**
   * The kubelet stops: end this pod's loops (retries, back-off) and detach from its containers.
   * The containers keep running in containerd, as they do when a real kubelet stops; only the
   * attached `ctr tasks start` clients end (killing the client does not kill the task).
   */
  async halt(): Promise<void> {
    if (this.stopped) return;
    this.#abort.abort();
    for (const { process: child } of this.#containers.values()) child?.kill('SIGKILL');
    await this.done;
    await this.#writes;
  }

  /** Pod deleted (or being deleted): kill and remove its containers; with `finalDelete`, delete the pod object. */
  async stop(finalDelete: boolean): Promise<void> {
    if (this.stopped) return;
    this.#abort.abort();
    for (const { id, process: child } of this.#containers.values()) {
      await this.#ctx.runtime.remove(id);
      child?.kill('SIGKILL');
    }
    await this.done;
    await this.#writes;
    if (!finalDelete) return;
    // status_manager.go: once the pod's containers are gone kubelet deletes it with grace 0 and a UID precondition.
    const name = this.pod.metadata?.name ?? '';
    const namespace = this.pod.metadata?.namespace ?? 'default';
    await this.#ctx.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } } }).catch((error: unknown) => {
      if ((error as { code?: number }).code !== 404) this.#ctx.log('E', 'status_manager.go', `"Failed to delete status for pod" pod="${namespace}/${name}" err="${apiErrorMessage(error)}"`);
    });
  }
}
