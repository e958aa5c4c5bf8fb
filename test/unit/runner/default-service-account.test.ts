import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitDefaultServiceAccount } from '../../../harness/runner/cluster-depth.ts';
import { startPlain, type Harness } from '../standin/apiserver/support.ts';

/**
 * The race the cluster runner had: kube-controller-manager creates a namespace's `default`
 * ServiceAccount asynchronously, so reading it right after creating the namespace is a 404. The
 * stand-in API server keeps that delay (standin/apiserver/controllers.ts).
 */
describe('waiting for the default ServiceAccount of a new namespace', () => {
  let api: Harness;
  let core: CoreV1Api;

  beforeAll(async () => {
    api = await startPlain({ defaultServiceAccountDelayMs: [300, 400] });
    core = api.kc.makeApiClient(CoreV1Api);
  });
  afterAll(async () => api.close());

  it('is needed: a read right after the namespace is created is 404', async () => {
    await core.createNamespace({ body: { metadata: { name: 'race-read' } } });
    await expect(core.readNamespacedServiceAccount({ namespace: 'race-read', name: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it('returns once the controller has created it', async () => {
    await core.createNamespace({ body: { metadata: { name: 'race-wait' } } });
    const started = Date.now();
    await awaitDefaultServiceAccount(core, 'race-wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((await core.readNamespacedServiceAccount({ namespace: 'race-wait', name: 'default' })).metadata?.uid).toBeTruthy();
  });

  it('gives up with a message naming the namespace when it never appears', async () => {
    await expect(awaitDefaultServiceAccount(core, 'no-such-namespace', 300)).rejects.toThrow(/namespace no-such-namespace has no "default" service account after 0.3 s/);
  });
});
