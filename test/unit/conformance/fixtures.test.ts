import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kubeletRules } from '../../../harness/conformance/kubelet-rules.ts';
import { loadKubeletCredentialProviderConfig } from '../../../harness/conformance/runner.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'provider-configs');
const gateOn = { KubeletServiceAccountTokenForCredentialProviders: true };

describe('fixtures/provider-configs validate for the minors they are written for', () => {
  it('v1.33 pass-through: valid on 1.33 with the gate on; refused on 1.34 (cacheType missing)', async () => {
    await expect(loadKubeletCredentialProviderConfig(join(DIR, 'v1.33-passthrough.yaml'), kubeletRules('1.33', gateOn))).resolves.toBeDefined();
    await expect(loadKubeletCredentialProviderConfig(join(DIR, 'v1.33-passthrough.yaml'), kubeletRules('1.34'))).rejects.toThrow('providers.tokenAttributes.cacheType: Required value');
  });
  it.each(['v1.34-passthrough.yaml', 'v1.34-exchange.yaml', 'v1.34-passthrough-misconfigured.yaml'])('%s: valid on 1.34–1.37, refused on 1.33 (unknown field cacheType)', async (file) => {
    for (const minor of ['1.34', '1.35', '1.36', '1.37']) await expect(loadKubeletCredentialProviderConfig(join(DIR, file), kubeletRules(minor))).resolves.toBeDefined();
    await expect(loadKubeletCredentialProviderConfig(join(DIR, file), kubeletRules('1.33', gateOn))).rejects.toThrow('unknown field "providers[0].tokenAttributes.cacheType"');
  });
});
