import type { CredentialProviderSpec } from '../../../harness/cluster/credential-provider-config.ts';

/** Our plugin in its two modes, as a scenario group would configure it. */
export const SAMPLE_PROVIDERS: readonly CredentialProviderSpec[] = [
  {
    name: 'pullproof-passthrough',
    matchImages: ['pullproof-registry:5000/passthrough/'],
    defaultCacheDuration: '0s',
    args: ['--mode=passthrough'],
    tokenAttributes: { serviceAccountTokenAudience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  },
  {
    name: 'pullproof-exchange',
    matchImages: ['pullproof-registry:5000/exchange/'],
    defaultCacheDuration: '1m',
    args: ['--mode=exchange'],
    env: [{ name: 'PULLPROOF_EXCHANGE_URL', value: 'http://172.18.0.1:7443' }],
    tokenAttributes: {
      serviceAccountTokenAudience: 'pullproof-exchange',
      cacheType: 'ServiceAccount',
      requireServiceAccount: true,
      requiredServiceAccountAnnotationKeys: ['pullproof.dev/identity'],
      optionalServiceAccountAnnotationKeys: ['pullproof.dev/scope'],
    },
  },
];
