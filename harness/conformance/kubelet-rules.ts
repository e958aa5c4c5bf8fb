import { kubernetesVersion, type KubernetesMinor } from '../cluster/versions.ts';
import type { ValidationMessages } from './validate.ts';

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
  /**
   * config.go readCredentialProviderConfig accepts a directory (v1.34+). v1.33's
   * readCredentialProviderConfigFile (k/k config.go, stored id 593615468) reads one file only, and
   * duplicate names then surface from validation (`providers.name: Duplicate value`).
   */
  readonly configDirectory: boolean;
  /** Which upstream texts validation errors follow (see validationMessagesFor). */
  readonly messages: ValidationMessages;
  /**
   * Go net/url rejects `[` after the start of a host (Go >= 1.24.8, CVE-2025-47912). Every patch
   * release harness/cluster/versions.ts pins is built with such a Go (CHANGELOG-1.33.md: v1.33.6+
   * "built using Go 1.24.9"), so it is on for every minor; the field exists so matchImages,
   * config validation and the keyrings all ask one place.
   */
  readonly strictIPLiteral: boolean;
}

export interface FeatureGateOverrides {
  readonly KubeletServiceAccountTokenForCredentialProviders?: boolean;
}

const minorNumber = (minor: KubernetesMinor): number => Number(minor.split('.')[1]);

/**
 * The message texts of each release's validation, from three upstream sources that changed at
 * different minors:
 * - k/k config.go: v1.33 (stored id 593615468; its test table id 12350456) gives Required errors a
 *   detail (`apiVersion is required`) and passes the negative duration as a `time.Duration`; from
 *   v1.34 (stored ids 7393140604 @03db2278 and 436468124) Required is bare and the duration is the
 *   `*metav1.Duration`.
 * - apimachinery field.Error.ErrorBody: until v0.33 a non-string value prints through Stringer or
 *   `%#v` (`-1m0s`, `[]string{"a"}`); from v0.34 through encoding/json (`"-1m0s"`, `["a"]`,
 *   `"a\u003cb"`) — k/k PR #132314 "Nicer value rendering in API errors", June 2025, before the
 *   v1.34 freeze; apimachinery errors.go stored id 52463267211.
 * - apimachinery IsQualifiedName: from v0.35 it is `content.IsLabelKey` (kube.go stored id
 *   55012769595; util/validation/validation.go find_string id 141858734: `var IsQualifiedName =
 *   content.IsLabelKey`): "a valid label key …" and lengths "in bytes" (content/errors.go id
 *   26202708864). Kubernetes v1.x.y vendors the staging modules at v0.x.y (kubernetes/client-go
 *   README "Versioning", find_string id 273060954), so v0.35 is first vendored by 1.35.
 */
export function validationMessagesFor(minor: KubernetesMinor): ValidationMessages {
  const n = minorNumber(minor);
  return {
    configGo: n <= 33 ? 'v1.33' : 'v1.34',
    valueRendering: n <= 33 ? 'go-syntax' : 'json',
    annotationKeys: n <= 34 ? 'qualified-name' : 'label-key',
  };
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
    configDirectory: minorNumber(version.minor) >= 34,
    messages: validationMessagesFor(version.minor),
    strictIPLiteral: true,
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
