import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupResource, type ResourceType } from './resources.ts';
import { forbidden, notFound, type StatusCause } from './status-errors.ts';
import type { ObjectStore } from './store.ts';
import { child, isObject, objects, str, type JsonObject, type KubeObject } from './types.ts';
import { validateName, validatePodSpec } from './validation.ts';

/**
 * What happens to an object between decoding and storage on create, in kube-apiserver's order:
 * defaulting (pkg/apis/core/v1/defaults.go), mutating admission (NamespaceLifecycle, ServiceAccount,
 * Priority, DefaultTolerationSeconds), then the registry strategy's PrepareForCreate and Validate.
 */

/** names.SimpleNameGenerator (k8s.io/apiserver pkg/storage/names/generate.go): 5 chars from utilrand's alphabet. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += ALPHANUMS[randomInt(ALPHANUMS.length)] ?? 'x';
  return out;
}

/** generateName: prefix truncated to 58 characters plus 5 random (maxGeneratedNameLength = 63 - 5). */
export function applyGenerateName(object: KubeObject): void {
  const prefix = str(object.metadata.generateName);
  if (!object.metadata.name && prefix) object.metadata.name = `${prefix.slice(0, 58)}${randomSuffix()}`;
}

/**
 * NamespaceLifecycle (k8s.io/apiserver pkg/admission/plugin/namespace/lifecycle/admission.go): a
 * create in a namespace that does not exist is the namespace's NotFound; in a Terminating one it is
 * Forbidden with the NamespaceTerminating cause.
 */
export function admitNamespace(store: ObjectStore, type: ResourceType, namespace: string, name: string): void {
  const ns = store.get('namespaces', undefined, namespace);
  if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
  if (isObject(ns.status) && ns.status.phase === 'Terminating') {
    throw forbidden(groupResource(type), name, `unable to create new content in namespace ${namespace} because it is being terminated`, [
      { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
    ]);
  }
}

/** The immortal namespaces of NamespaceLifecycle's Register: `this namespace may not be deleted`. */
export const IMMORTAL_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

export const DEFAULT_SERVICE_ACCOUNT = 'default';
const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * ServiceAccount admission (k/k plugin/pkg/admission/serviceaccount/admission.go): default the
 * name, require the account (for `default`, a live lookup up to 10 times one 100–199 ms interval
 * apart, since the controller creates it asynchronously), then mount the projected
 * `kube-api-access-<5>` volume unless automount is off (pod's choice first, then the account's).
 * The missing-account error is `error looking up service account <ns>/<sa>: serviceaccount "<sa>" not found`
 * (the lookup's NotFound built with resource `serviceaccount`, singular; reference §6).
 */
export async function admitPodServiceAccount(store: ObjectStore, pod: KubeObject, namespace: string): Promise<void> {
  const spec = child(pod, 'spec');
  if (!str(spec.serviceAccountName)) spec.serviceAccountName = str(spec.serviceAccount) ?? DEFAULT_SERVICE_ACCOUNT;
  const name = str(spec.serviceAccountName) ?? DEFAULT_SERVICE_ACCOUNT;
  // The v1 conversion mirrors the deprecated field (pkg/apis/core/v1/conversion.go).
  spec.serviceAccount = name;
  const attempts = name === DEFAULT_SERVICE_ACCOUNT ? 10 : 1;
  const interval = 100 + randomInt(100);
  let account: KubeObject | undefined;
  for (let i = 0; i < attempts && !account; i++) {
    if (i > 0) await sleep(interval);
    account = store.get('serviceaccounts', namespace, name);
  }
  if (!account) {
    throw forbidden({ group: '', resource: 'pods' }, pod.metadata.name, `error looking up service account ${namespace}/${name}: serviceaccount ${JSON.stringify(name)} not found`);
  }
  const automount = typeof spec.automountServiceAccountToken === 'boolean' ? spec.automountServiceAccountToken : typeof account.automountServiceAccountToken === 'boolean' ? account.automountServiceAccountToken : true;
  if (automount) mountApiAccess(spec);
  if (objects(spec.imagePullSecrets).length === 0 && objects(account.imagePullSecrets).length > 0) spec.imagePullSecrets = objects(account.imagePullSecrets);
}

/** mountServiceAccountToken + TokenVolumeSource (admission.go): token 3607 s, kube-root-ca.crt, namespace. */
function mountApiAccess(spec: JsonObject): void {
  const containers = [...objects(spec.initContainers), ...objects(spec.containers)];
  const needing = containers.filter((c) => !objects(c.volumeMounts).some((m) => m.mountPath === TOKEN_MOUNT_PATH));
  if (needing.length === 0) return;
  const volumeName = `kube-api-access-${randomSuffix()}`;
  for (const c of needing) c.volumeMounts = [...objects(c.volumeMounts), { name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
  spec.volumes = [
    ...objects(spec.volumes),
    {
      name: volumeName,
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
        defaultMode: 420,
      },
    },
  ];
}

/** SetDefaults_Container: `Always` for `:latest` or no tag (and no digest), else `IfNotPresent`. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: JsonObject): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (!str(c.imagePullPolicy) && typeof c.image === 'string') c.imagePullPolicy = defaultPullPolicy(c.image);
  c.resources ??= {};
}

/**
 * Defaults a client reads back on a fresh pod: SetDefaults_PodSpec/Container (pkg/apis/core/v1/defaults.go),
 * Priority admission (priority 0, preemptionPolicy PreemptLowerPriority with no default class),
 * DefaultTolerationSeconds admission (not-ready/unreachable NoExecute for 300 s,
 * plugin/pkg/admission/defaulttolerationseconds/admission.go), and the pod strategy's PrepareForCreate
 * (generation 1, status {phase: Pending, qosClass}).
 */
export function defaultPod(pod: KubeObject): void {
  const spec = child(pod, 'spec');
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers)]) defaultContainer(c);
  const tolerations = objects(spec.tolerations);
  for (const taint of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const tolerated = tolerations.some((t) => (t.key === taint || (t.operator === 'Exists' && !t.key)) && (!t.effect || t.effect === 'NoExecute'));
    if (!tolerated) tolerations.push({ key: taint, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
  pod.metadata.generation = 1;
  const hasResources = objects(spec.containers).some((c) => isObject(c.resources) && Object.keys(c.resources).length > 0);
  // qos.GetPodQOS: BestEffort without requests/limits; anything else reported as Burstable here (Guaranteed is not computed).
  pod.status = { phase: 'Pending', qosClass: hasResources ? 'Burstable' : 'BestEffort' };
}

/** PrepareForCreate of the namespace strategy (pkg/registry/core/namespace/strategy.go). */
export function defaultNamespace(ns: KubeObject): void {
  ns.spec = { finalizers: ['kubernetes'] };
  ns.status = { phase: 'Active' };
  // The NamespaceDefaultLabelName label (GA 1.22) is always set to the name.
  ns.metadata.labels = { ...(isObject(ns.metadata.labels) ? ns.metadata.labels : {}), 'kubernetes.io/metadata.name': ns.metadata.name };
}

/** Secret strategy: `type` defaults to Opaque; `stringData` is merged into `data` (base64) and dropped. */
export function defaultSecret(secret: KubeObject): void {
  secret.type ??= 'Opaque';
  if (isObject(secret.stringData)) {
    const data = child(secret, 'data');
    for (const [k, v] of Object.entries(secret.stringData)) if (typeof v === 'string') data[k] = Buffer.from(v).toString('base64');
    delete secret.stringData;
  }
}

/** Validation of a create or update: the name rule of the kind, plus the pod rules. */
export function validate(type: ResourceType, object: KubeObject): StatusCause[] {
  const causes = validateName(object, type.nameRule);
  if (type.kind === 'Pod') causes.push(...validatePodSpec(isObject(object.spec) ? object.spec : undefined));
  return causes;
}
