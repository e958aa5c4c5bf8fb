import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type CredentialProviderSpec, credentialProviderConfig, renderCredentialProviderConfig,
} from '../../../harness/cluster/credential-provider-config.ts';
import { SAMPLE_PROVIDERS } from './samples.ts';
import { ClusterConfigError } from '../../../harness/cluster/errors.ts';
import { SUPPORTED_MINORS, kubernetesVersion } from '../../../harness/cluster/versions.ts';
import { expectGolden } from './golden.ts';


describe('CredentialProviderConfig per Kubernetes minor', () => {
  for (const minor of SUPPORTED_MINORS) {
    it(`matches the reviewed golden file for ${minor}`, () => {
      expectGolden(`credential-provider-config-${minor}.yaml`,
        renderCredentialProviderConfig(credentialProviderConfig(kubernetesVersion(minor), SAMPLE_PROVIDERS)));
    });
  }

  it('has no cacheType on 1.33, whose API does not know the field', () => {
    const text = renderCredentialProviderConfig(credentialProviderConfig(kubernetesVersion('1.33'), SAMPLE_PROVIDERS));
    expect(text).not.toContain('cacheType');
    expect(text).toContain('serviceAccountTokenAudience: pullproof-registry');
  });

  it('carries cacheType from 1.34 on', () => {
    for (const minor of ['1.34', '1.35', '1.36', '1.37']) {
      const doc = parse(renderCredentialProviderConfig(credentialProviderConfig(kubernetesVersion(minor), SAMPLE_PROVIDERS))) as {
        providers: { tokenAttributes: { cacheType: string } }[];
      };
      expect(doc.providers.map((p) => p.tokenAttributes.cacheType)).toEqual(['Token', 'ServiceAccount']);
    }
  });

  it('refuses tokenAttributes without cacheType from 1.34 on, naming the provider', () => {
    const noCache: CredentialProviderSpec = { name: 'p', matchImages: ['x.io'], defaultCacheDuration: '0s', tokenAttributes: { serviceAccountTokenAudience: 'a', requireServiceAccount: true } };
    expect(() => credentialProviderConfig(kubernetesVersion('1.34'), [noCache])).toThrow(ClusterConfigError);
    expect(() => credentialProviderConfig(kubernetesVersion('1.34'), [noCache])).toThrow(/providers\[p\]\.tokenAttributes\.cacheType/);
    expect(() => credentialProviderConfig(kubernetesVersion('1.33'), [noCache])).not.toThrow();
  });

  it('refuses an empty provider list, as kubelet does', () => {
    expect(() => credentialProviderConfig(kubernetesVersion('1.35'), [])).toThrow(/at least one provider/);
  });

  it('defaults the plugin protocol to credentialprovider.kubelet.k8s.io/v1 (the only one allowed with tokenAttributes)', () => {
    const c = credentialProviderConfig(kubernetesVersion('1.35'), SAMPLE_PROVIDERS);
    expect(c.providers.map((p) => p.apiVersion)).toEqual(['credentialprovider.kubelet.k8s.io/v1', 'credentialprovider.kubelet.k8s.io/v1']);
    expect(c.apiVersion).toBe('kubelet.config.k8s.io/v1');
  });
});
