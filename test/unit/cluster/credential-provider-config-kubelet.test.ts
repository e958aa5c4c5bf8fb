import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeletConfigRejectedError, kubeletRules, loadKubeletCredentialProviderConfig } from '../../../harness/conformance/index.ts';
import { credentialProviderConfig, renderCredentialProviderConfig } from '../../../harness/cluster/credential-provider-config.ts';
import { featureGates } from '../../../harness/cluster/kind-config.ts';
import { SUPPORTED_MINORS, kubernetesVersion } from '../../../harness/cluster/versions.ts';
import { SAMPLE_PROVIDERS } from './samples.ts';

const dir = await mkdtemp(join(tmpdir(), 'pullproof-cpc-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function writeFor(minor: string, renderAs = minor): Promise<string> {
  const path = join(dir, `${minor}-as-${renderAs}.yaml`);
  await writeFile(path, renderCredentialProviderConfig(credentialProviderConfig(kubernetesVersion(renderAs), SAMPLE_PROVIDERS)));
  return path;
}

describe('generated CredentialProviderConfig against the kubelet-exact validator (harness/conformance)', () => {
  for (const minor of SUPPORTED_MINORS) {
    it(`is accepted by a ${minor} kubelet with the gates our kind config sets`, async () => {
      const gate = featureGates(kubernetesVersion(minor), { workers: 0, providerBundleDir: '/b', providerConfigPath: '/c', certsDir: '/d' })
        .KubeletServiceAccountTokenForCredentialProviders;
      const config = await loadKubeletCredentialProviderConfig(await writeFor(minor), kubeletRules(minor, { KubeletServiceAccountTokenForCredentialProviders: gate }));
      expect(config.providers.map((p) => p.name)).toEqual(['pullproof-passthrough', 'pullproof-exchange']);
    });
  }

  it('is needed per minor: the 1.34 shape is refused by a 1.33 kubelet, the 1.33 shape by a 1.34 kubelet', async () => {
    const gateOn = { KubeletServiceAccountTokenForCredentialProviders: true };
    await expect(loadKubeletCredentialProviderConfig(await writeFor('1.33', '1.34'), kubeletRules('1.33', gateOn))).rejects.toThrow(/cacheType/);
    await expect(loadKubeletCredentialProviderConfig(await writeFor('1.34', '1.33'), kubeletRules('1.34', gateOn))).rejects.toBeInstanceOf(KubeletConfigRejectedError);
  });

  it('would be refused on 1.33 without the gate our kind config turns on', async () => {
    await expect(loadKubeletCredentialProviderConfig(await writeFor('1.33'), kubeletRules('1.33')))
      .rejects.toThrow(/tokenAttributes is not supported when KubeletServiceAccountTokenForCredentialProviders feature gate is disabled/);
  });
});
