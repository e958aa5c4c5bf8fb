import type { V1Namespace, V1Pod, V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import type { InstancePod, ScenarioInstance } from './instantiate.ts';

/**
 * The Kubernetes objects a scenario instance becomes at cluster depth. Pure; the cluster runner
 * creates them with @kubernetes/client-node.
 */

export const RUN_LABEL = 'pullproof.dev/run';
export const SCENARIO_LABEL = 'pullproof.dev/scenario';

export function namespaceManifests(instance: ScenarioInstance, runId: string): V1Namespace[] {
  return [...instance.namespaces.values()].map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { [RUN_LABEL]: runId, [SCENARIO_LABEL]: instance.scenario.name } },
  }));
}

export function serviceAccountManifests(instance: ScenarioInstance): V1ServiceAccount[] {
  return instance.serviceAccounts.map((sa) => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: sa.name, namespace: sa.namespace, annotations: { ...sa.annotations } },
  }));
}

export function pullSecretName(logicalName: string): string {
  return `pullproof-${logicalName}`;
}

/**
 * `kubernetes.io/dockerconfigjson` secrets for the pods' imagePullSecrets, keyed by the registry host:
 * one per (namespace, secret), however many pods name it (a second create would be 409 AlreadyExists).
 */
export function pullSecretManifests(instance: ScenarioInstance, registryHost: string): V1Secret[] {
  const secrets = new Map<string, V1Secret>();
  for (const pod of instance.pods) {
    const user = pod.imagePullSecret ? instance.pullSecretUsers.find((u) => u.logicalName === pod.imagePullSecret) : undefined;
    if (!user) continue;
    const key = `${pod.namespace}/${pullSecretName(user.logicalName)}`;
    if (secrets.has(key)) continue;
    const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
    const dockerConfig = JSON.stringify({ auths: { [registryHost]: { username: user.username, password: user.password, auth } } });
    secrets.set(key, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: { name: pullSecretName(user.logicalName), namespace: pod.namespace },
      data: { '.dockerconfigjson': Buffer.from(dockerConfig).toString('base64') },
    });
  }
  return [...secrets.values()];
}

/**
 * A pod whose only container runs the scenario's image. `nodeName` pins cached-image cases to the
 * node that pulled first; `Always` is the default so no verdict rests on a cached image by accident.
 */
export function podManifest(pod: InstancePod, instance: ScenarioInstance, nodeName?: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, labels: { [SCENARIO_LABEL]: instance.scenario.name } },
    spec: {
      serviceAccountName: pod.serviceAccount,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      ...(nodeName ? { nodeName } : {}),
      ...(pod.imagePullSecret ? { imagePullSecrets: [{ name: pullSecretName(pod.imagePullSecret) }] } : {}),
      containers: [{ name: 'app', image: pod.imageRef, imagePullPolicy: pod.pullPolicy ?? 'Always' }],
    },
  };
}
