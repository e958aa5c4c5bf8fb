import type { Scenario } from '../harness/scenario/types.ts';
import audienceMismatch from './audience-mismatch.ts';
import cachedImageReverified from './cached-image-reverified.ts';
import exchangeRoleImpersonation from './exchange-role-impersonation.ts';
import grantedSaPulls from './granted-sa-pulls.ts';
import nodeAudienceRestriction from './node-audience-restriction.ts';
import passthroughNeedsTokenCache from './passthrough-needs-token-cache.ts';
import pullSecretOrProvider from './pull-secret-or-provider.ts';
import recreatedSaReverified from './recreated-sa-reverified.ts';
import requiredAnnotationMissing from './required-annotation-missing.ts';
import sameNameOtherNamespace from './same-name-other-namespace.ts';
import serviceAccountCacheNoBleed from './service-account-cache-no-bleed.ts';

/** The built-in security suite, in the order reports list it. */
export const BUILT_IN_SCENARIOS: readonly Scenario[] = [
  grantedSaPulls,
  sameNameOtherNamespace,
  requiredAnnotationMissing,
  exchangeRoleImpersonation,
  nodeAudienceRestriction,
  audienceMismatch,
  serviceAccountCacheNoBleed,
  passthroughNeedsTokenCache,
  cachedImageReverified,
  recreatedSaReverified,
  pullSecretOrProvider,
];
