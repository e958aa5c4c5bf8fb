import { randomInt } from 'node:crypto';
import { DEFAULT_SERVICE_ACCOUNT } from './admission.ts';
import { resourceType, RESOURCES, type ResourceType } from './resources.ts';
import type { Registry } from './rest.ts';
import { ApiError } from './status-errors.ts';
import type { StoreEvent } from './store.ts';
import { isObject, nowRfc3339, objects, str, type JsonObject, type KubeObject } from './types.ts';

/**
 * The asynchronous controllers a client of a real cluster observes: kube-controller-manager's
 * ServiceAccounts controller and namespace controller, and kube-scheduler's binding of pods.
 */

export interface ControllerOptions {
  readonly defaultServiceAccountDelayMs: readonly [number, number];
  /** How long the namespace controller takes to purge a Terminating namespace. */
  readonly namespacePurgeDelayMs: number;
  readonly log: (line: string) => void;
}

function typeOf(group: string, resource: string): ResourceType {
  const t = resourceType(group, resource);
  if (!t) throw new Error(`stand-in API server: no resource type ${resource}`);
  return t;
}

export class Controllers {
  readonly #registry: Registry;
  readonly #options: ControllerOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #unsubscribe: () => void;
  #closed = false;
  #scheduling = false;

  constructor(registry: Registry, options: ControllerOptions) {
    this.#registry = registry;
    this.#options = options;
    this.#unsubscribe = registry.store.subscribe((event) => this.#onEvent(event));
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#closed) return;
      try {
        fn();
      } catch (error) {
        // Controllers re-queue on errors; here one attempt is logged loudly instead.
        this.#options.log(JSON.stringify({ controller: 'error', message: error instanceof Error ? error.message : String(error) }));
      }
    }, ms);
    this.#timers.add(timer);
  }

  #onEvent(event: StoreEvent): void {
    if (this.#closed) return;
    const { resource, object } = event;
    if (resource === 'namespaces') {
      if (event.type === 'ADDED') this.#queueDefaultServiceAccount(object.metadata.name);
      if (event.type === 'MODIFIED' && object.metadata.deletionTimestamp && !event.previous?.metadata.deletionTimestamp) this.#after(this.#options.namespacePurgeDelayMs, () => this.#purgeNamespace(object.metadata.name));
    }
    // The ServiceAccounts controller also watches SA deletions and re-creates `default`.
    if (resource === 'serviceaccounts' && event.type === 'DELETED' && object.metadata.name === DEFAULT_SERVICE_ACCOUNT) this.#queueDefaultServiceAccount(str(object.metadata.namespace) ?? '');
    if ((resource === 'pods' && event.type !== 'DELETED') || resource === 'nodes') this.#after(0, () => this.#schedulePending());
  }

  /**
   * serviceaccounts_controller.go syncNamespace: skip non-Active namespaces, create `default` when
   * absent, ignore AlreadyExists. The delay stands in for informer propagation (reference §6).
   */
  #queueDefaultServiceAccount(namespace: string): void {
    const [min, max] = this.#options.defaultServiceAccountDelayMs;
    this.#after(min + randomInt(Math.max(1, max - min + 1)), () => {
      const ns = this.#registry.store.get('namespaces', undefined, namespace);
      if (!ns || !isObject(ns.status) || ns.status.phase !== 'Active') return;
      if (this.#registry.store.get('serviceaccounts', namespace, DEFAULT_SERVICE_ACCOUNT)) return;
      this.#registry.insert(typeOf('', 'serviceaccounts'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } });
    });
  }

  /** The namespace controller deletes every namespaced object, then the finalizer goes and the namespace with it. */
  #purgeNamespace(namespace: string): void {
    for (const t of RESOURCES.filter((r) => r.namespaced)) {
      // Pods are removed outright: the stand-in does not wait for kubelets to confirm (README).
      for (const object of this.#registry.store.list(t.resource, namespace)) this.#registry.store.remove(t.resource, namespace, object.metadata.name);
    }
    this.#registry.store.remove('namespaces', undefined, namespace);
    this.#options.log(JSON.stringify({ controller: 'namespace', purged: namespace }));
  }

  #event(pod: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = nowRfc3339();
    const namespace = str(pod.metadata.namespace) ?? 'default';
    try {
      this.#registry.insert(typeOf('', 'events'), {
        apiVersion: 'v1',
        kind: 'Event',
        // record.EventRecorder names events `<object>.<unix-nanos hex>`.
        metadata: { name: `${pod.metadata.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(randomInt(1_000_000))).toString(16)}`, namespace },
        involvedObject: { kind: 'Pod', namespace, name: pod.metadata.name, uid: str(pod.metadata.uid) ?? '', apiVersion: 'v1', resourceVersion: str(pod.metadata.resourceVersion) ?? '' },
        reason,
        message,
        source: { component: 'default-scheduler' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: 'default-scheduler',
        reportingInstance: '',
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
  }

  /**
   * kube-scheduler reduced to its filters that decide pullproof's pods: TaintToleration
   * (NoSchedule/NoExecute), NodeUnschedulable, NodeName/NodeSelector; score = fewest pods. A node
   * whose Ready condition is not True counts as tainted node.kubernetes.io/not-ready (the node
   * lifecycle controller's taint). Binding sets spec.nodeName and PodScheduled=True as the binding
   * subresource does (pkg/registry/core/pod/storage/storage.go setPodNodeAndMetadata).
   */
  #schedulePending(): void {
    if (this.#scheduling) return;
    this.#scheduling = true;
    try {
      const nodes = this.#registry.store.list('nodes');
      const pods = this.#registry.store.list('pods');
      for (const pod of pods) {
        const spec = isObject(pod.spec) ? pod.spec : {};
        if (str(spec.nodeName) || pod.metadata.deletionTimestamp || (spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') continue;
        const fits = nodes.map((node) => ({ node, reason: unfit(pod, node) }));
        const candidates = fits.filter((f) => f.reason === undefined).map((f) => f.node);
        if (candidates.length === 0) {
          this.#markUnschedulable(pod, fitErrorMessage(nodes.length, fits.map((f) => f.reason ?? '')));
          continue;
        }
        const load = (node: KubeObject): number => pods.filter((p) => isObject(p.spec) && p.spec.nodeName === node.metadata.name).length;
        const chosen = [...candidates].sort((a, b) => load(a) - load(b) || a.metadata.name.localeCompare(b.metadata.name))[0];
        if (chosen) this.#bind(pod, chosen.metadata.name);
      }
    } finally {
      this.#scheduling = false;
    }
  }

  #bind(pod: KubeObject, nodeName: string): void {
    const next = structuredClone(pod);
    const spec = isObject(next.spec) ? next.spec : {};
    spec.nodeName = nodeName;
    next.spec = spec;
    setCondition(next, { type: 'PodScheduled', status: 'True' });
    this.#registry.store.put('pods', next);
    // The scheduler's event: pkg/scheduler/schedule_one.go "Successfully assigned %v/%v to %v".
    this.#event(pod, 'Normal', 'Scheduled', `Successfully assigned ${str(pod.metadata.namespace) ?? ''}/${pod.metadata.name} to ${nodeName}`);
  }

  #markUnschedulable(pod: KubeObject, message: string): void {
    const conditions = objects(isObject(pod.status) ? pod.status.conditions : undefined);
    const current = conditions.find((c) => c.type === 'PodScheduled');
    if (current && current.status === 'False' && current.message === message) return;
    const next = structuredClone(pod);
    setCondition(next, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message });
    this.#registry.store.put('pods', next);
    this.#event(pod, 'Warning', 'FailedScheduling', message);
  }
}

function setCondition(pod: KubeObject, condition: JsonObject): void {
  const status = isObject(pod.status) ? pod.status : {};
  const conditions = objects(status.conditions);
  const index = conditions.findIndex((c) => c.type === condition.type);
  const previous = index >= 0 ? conditions[index] : undefined;
  const transition = previous && previous.status === condition.status ? (previous.lastTransitionTime ?? nowRfc3339()) : nowRfc3339();
  const next: JsonObject = { ...condition, lastProbeTime: null, lastTransitionTime: transition };
  if (index >= 0) conditions[index] = next;
  else conditions.push(next);
  status.conditions = conditions;
  pod.status = status;
}

function tolerates(tolerations: JsonObject[], taint: JsonObject): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** The first filter a node fails, as the scheduler's reason text (framework plugins' ErrReason*). */
function unfit(pod: KubeObject, node: KubeObject): string | undefined {
  const podSpec = isObject(pod.spec) ? pod.spec : {};
  const nodeSpec = isObject(node.spec) ? node.spec : {};
  const tolerations = objects(podSpec.tolerations);
  // nodeunschedulable.go ErrReasonUnschedulable.
  if (nodeSpec.unschedulable === true && !tolerations.some((t) => t.key === 'node.kubernetes.io/unschedulable')) return 'node(s) were unschedulable';
  const ready = objects(isObject(node.status) ? node.status.conditions : undefined).find((c) => c.type === 'Ready');
  const taints = objects(nodeSpec.taints).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (!ready || ready.status !== 'True') taints.unshift({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  // tainttoleration.go: "node(s) had untolerated taint {%s: %s}".
  const untolerated = taints.find((t) => !tolerates(tolerations, t));
  if (untolerated) return `node(s) had untolerated taint {${str(untolerated.key) ?? ''}: ${str(untolerated.value) ?? ''}}`;
  const selector = isObject(podSpec.nodeSelector) ? podSpec.nodeSelector : {};
  const labels = isObject(node.metadata.labels) ? node.metadata.labels : {};
  // nodeaffinity.go ErrReasonPod.
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

/**
 * framework.FitError.Error (pkg/scheduler/framework/types.go): `0/N nodes are available: <count> <reason>, ….`
 * with reasons sorted, then the preemption postfilter's sentence. Approximate: the real text can
 * differ in the preemption part between minors.
 */
function fitErrorMessage(nodeCount: number, reasons: readonly string[]): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`;
}
