import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTAINERD_ADDRESS, defaultContainerdAddress } from '../../../harness/conformance/containerd-pull.ts';

describe('containerd socket for pulls', () => {
  it('prefers PULLPROOF_CONTAINERD_ADDRESS', () => {
    expect(defaultContainerdAddress({ PULLPROOF_CONTAINERD_ADDRESS: '/tmp/somewhere.sock' })).toBe('/tmp/somewhere.sock');
  });

  it("falls back to an existing containerd socket, else containerd's standard path", () => {
    const chosen = defaultContainerdAddress({});
    expect([DEFAULT_CONTAINERD_ADDRESS, '/run/docker/containerd/containerd.sock']).toContain(chosen);
  });
});
