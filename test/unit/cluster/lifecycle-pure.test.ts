import { describe, expect, it } from 'vitest';
import { KindVersionError } from '../../../harness/cluster/errors.ts';
import { newClusterName, semverAtLeast } from '../../../harness/cluster/lifecycle.ts';
import { KUBERNETES_VERSIONS, SUPPORTED_MINORS } from '../../../harness/cluster/versions.ts';

describe('lifecycle helpers', () => {
  it('compares kind versions numerically, not as text', () => {
    expect(semverAtLeast('v0.33.0', 'v0.31.0')).toBe(true);
    expect(semverAtLeast('v0.31.0', 'v0.31.0')).toBe(true);
    expect(semverAtLeast('v0.9.0', 'v0.31.0')).toBe(false);
    expect(semverAtLeast('v1.0.0', 'v0.32.0')).toBe(true);
    expect(semverAtLeast('v0.32.0-alpha', 'v0.32.0')).toBe(true);
  });

  it('names clusters pullproof-<purpose>-<random> and never twice the same', () => {
    const names = new Set(Array.from({ length: 50 }, () => newClusterName('e2e')));
    expect(names.size).toBe(50);
    for (const n of names) expect(n).toMatch(/^pullproof-e2e-[a-z0-9]{1,6}$/);
  });

  it('says which kind is too old, for which minor, and what to do', () => {
    const e = new KindVersionError('v0.30.0', 'v0.32.0', '1.37');
    expect(e.message).toBe('kind v0.30.0 is too old for Kubernetes 1.37: it needs kind v0.32.0 or newer (older kind renders the wrong kubeadm API); install a newer kind from https://kind.sigs.k8s.io');
    expect([e.found, e.required, e.minor]).toEqual(['v0.30.0', 'v0.32.0', '1.37']);
  });
});

describe('the kind each Kubernetes minor needs', () => {
  it('is v0.32.0 or newer for every minor: kind v0.31 merges a version-3 containerd patch into version-2 configs', () => {
    // kind pkg/internal/patch/toml.go: v0.31.0 applies every containerdConfigPatch; v0.32.0 skips
    // patches whose `version` differs from the node's config, which our two-patch config relies on.
    for (const minor of SUPPORTED_MINORS) expect(semverAtLeast(KUBERNETES_VERSIONS[minor].minKind, 'v0.32.0'), minor).toBe(true);
  });
});
