import { kubernetesVersion, type KubernetesMinor } from '../cluster/versions.ts';

/** What differs between the kubelet releases we imitate, derived from harness/cluster/versions.ts. */
export interface KubeletRules {
  readonly minor: KubernetesMinor;
  /** KubeletServiceAccountTokenForCredentialProviders effective value (default: on when beta). */
  readonly saTokenForCredentialProviders: boolean;
  /** `tokenAttributes.cacheType` exists and is required (kubelet@v0.34.0+). */
  readonly cacheTypeField: boolean;
  /**
   * plugin.go (v1.34+, with cacheType): a response whose password equals the SA token is dropped
   * unless cacheType is Token.
   */
  readonly rejectEchoedToken: boolean;
  /**
   * plugin.go globalCacheKey: "global" in the v1.33 source, "<global>" in the newer source that also
   * has the cacheType checks. Which release switched is UNVERIFIED; we use "<global>" from v1.34.
   */
  readonly globalCacheKey: string;
}

export interface FeatureGateOverrides {
  readonly KubeletServiceAccountTokenForCredentialProviders?: boolean;
}

export function kubeletRules(minor: string, gates: FeatureGateOverrides = {}): KubeletRules {
  const version = kubernetesVersion(minor);
  const gateDefault = version.gates.KubeletServiceAccountTokenForCredentialProviders === 'beta';
  return {
    minor: version.minor,
    saTokenForCredentialProviders: gates.KubeletServiceAccountTokenForCredentialProviders ?? gateDefault,
    cacheTypeField: version.cacheTypeRequired,
    rejectEchoedToken: version.cacheTypeRequired,
    globalCacheKey: version.cacheTypeRequired ? '<global>' : 'global',
  };
}

/** Parses `--feature-gates`-style text: `A=true,B=false` (only the gate the runner knows is kept). */
export function parseFeatureGates(text: string): FeatureGateOverrides {
  const out: { KubeletServiceAccountTokenForCredentialProviders?: boolean } = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = pair.split('=');
    if (value !== 'true' && value !== 'false') throw new Error(`feature gate ${pair}: value must be true or false (e.g. KubeletServiceAccountTokenForCredentialProviders=true)`);
    if (name === 'KubeletServiceAccountTokenForCredentialProviders') out.KubeletServiceAccountTokenForCredentialProviders = value === 'true';
    else throw new Error(`feature gate ${name ?? pair} is not one the conformance runner models; known: KubeletServiceAccountTokenForCredentialProviders`);
  }
  return out;
}
