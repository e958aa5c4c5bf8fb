import { execa } from 'execa';
import { SUPPORTED_MINORS, kubernetesVersion, type KubernetesVersion } from '../cluster/versions.ts';

/**
 * A node image built from a contributor's tree (`kind build node-image` → `kindest/node:latest`)
 * is usually of the next, unreleased minor. Its release is in `/kind/version` (kind writes it there
 * and reads it back to choose the kubeadm API); pullproof applies the rules of the newest minor it
 * knows at or below that release, and says so in the results.
 */

export class NodeImageReleaseError extends Error {
  readonly image: string;
  constructor(image: string, problem: string) {
    super(`node image ${image}: ${problem}`);
    this.name = 'NodeImageReleaseError';
    this.image = image;
  }
}

/** `v1.38.0-alpha.1.23+abc` → the newest table minor ≤ 1.38 (1.37), or undefined when older than every known minor. Pure. */
export function rulesForRelease(release: string): KubernetesVersion | undefined {
  const match = /^v?(\d+)\.(\d+)\./.exec(release.trim());
  if (!match) return undefined;
  const wanted = Number(match[1]) * 1000 + Number(match[2]);
  const known = SUPPORTED_MINORS.filter((m) => Number(m.split('.')[0]) * 1000 + Number(m.split('.')[1]) <= wanted);
  const newest = known.at(-1);
  return newest ? kubernetesVersion(newest) : undefined;
}

/** The release a node image carries, from its `/kind/version`. */
export async function nodeImageRelease(image: string): Promise<string> {
  const r = await execa('docker', ['run', '--rm', '--entrypoint', 'cat', image, '/kind/version'], { reject: false, all: true });
  if (r.exitCode !== 0) throw new NodeImageReleaseError(image, `has no readable /kind/version (${r.all.trim().split('\n').at(-1) ?? `exit ${String(r.exitCode)}`}): pass --k8s with the minor it runs`);
  return r.stdout.trim();
}

/** The version entry whose rules apply to `image`, with the release it actually carries. */
export async function versionFromNodeImage(image: string): Promise<{ version: KubernetesVersion; release: string }> {
  const release = await nodeImageRelease(image);
  const rules = rulesForRelease(release);
  if (!rules) throw new NodeImageReleaseError(image, `carries Kubernetes ${release}, older than every minor pullproof knows (${SUPPORTED_MINORS.join(', ')})`);
  return { version: { ...rules, nodeImage: image }, release };
}
