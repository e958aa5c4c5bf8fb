import { describe, expect, it } from 'vitest';
import { kubeletLogNeedles, linesAbout } from '../../../harness/runner/kubelet-log.ts';

// Lines in kubelet's klog format; the messages are plugin.go's format strings
// (k/k pkg/credentialprovider/plugin/plugin.go) with the repository kubelet passes them.
const repository = 'pullproof-registry:5000/passthrough-needs-token-cache/team-a/app';
const log = [
  `E1202 03:04:05.000001    1234 plugin.go:301] Credential provider plugin returned the service account token as the password for image "${repository}", which is not allowed when service account cache type is not set to 'Token'`,
  'I1202 03:04:05.000002    1234 plugin.go:250] Getting image pullproof-registry:5000/other-scenario/team-a/app credentials from external exec plugin pullproof-abc123',
  'I1202 03:04:05.000003    1234 kubelet.go:2400] "SyncLoop ADD" source="api" pods=["team-b-1a2b3c/unrelated"]',
].join('\n');

describe('kubelet log needles', () => {
  const pod = { namespace: 'team-a-1a2b3c', name: 'echoed-token', imageRef: `${repository}:20261202-abcdef` };

  it("finds plugin.go's echo-check line, which names the repository without the tag", () => {
    const lines = linesAbout(log, kubeletLogNeedles(pod));
    expect(lines).toEqual([expect.stringContaining('returned the service account token as the password')]);
  });

  it("does not pick another repository's lines", () => {
    expect(linesAbout(log, kubeletLogNeedles(pod)).join('\n')).not.toContain('other-scenario');
  });

  it('normalises as kubelet does: a digest-pinned reference gives the bare repository', () => {
    expect(kubeletLogNeedles({ ...pod, imageRef: `${repository}@sha256:${'a'.repeat(64)}` })).toContain(`"${repository}"`);
  });
});
