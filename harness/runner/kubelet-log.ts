import { execa } from 'execa';
import { imageRepository } from '../conformance/image-name.ts';
import { redactText } from '../results/redact.ts';

/**
 * The strings that pick one pod's lines out of kubelet's log. kubelet names a pod as `ns/name` or
 * by name, and its credential-provider lines name the *repository*: image_manager.go looks
 * credentials up for `ParseImageName(image)`'s repository, tag and digest stripped, and
 * pkg/credentialprovider/plugin/plugin.go logs that string (e.g. `Credential provider plugin
 * returned the service account token as the password for image %q…`).
 */
export function kubeletLogNeedles(pod: { readonly namespace: string; readonly name: string; readonly imageRef: string }): string[] {
  const needles = [pod.imageRef, `${pod.namespace}/${pod.name}`, pod.name];
  try {
    needles.push(`"${imageRepository(pod.imageRef)}"`);
  } catch {
    // A reference kubelet cannot parse has no repository lines; the tagged needle still finds its events.
  }
  return needles;
}

/**
 * kubelet's log lines about one pod or image, from the node's journal (kind nodes run systemd),
 * bounded to the time since the pod was created. Redacted: kubelet at -v=4 logs plugin requests.
 */
export async function kubeletLogLines(node: string, since: Date, needles: readonly string[], limit = 80): Promise<string[]> {
  // systemd.time(7) accepts a trailing "UTC"; without it --since is read in the node's local zone.
  const sinceArg = `${since.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  const result = await execa('docker', ['exec', node, 'journalctl', '-u', 'kubelet', '--no-pager', '-o', 'cat', '--utc', '--since', sinceArg], { reject: false, timeout: 20_000 });
  if (result.exitCode !== 0) return [`(kubelet log unavailable from ${node}: ${result.stderr.trim().split('\n')[0] ?? `exit ${result.exitCode}`})`];
  return linesAbout(result.stdout, needles, limit);
}

/** The last `limit` lines that mention any needle, redacted. */
export function linesAbout(log: string, needles: readonly string[], limit = 80): string[] {
  return log.split('\n').filter((line) => needles.some((n) => line.includes(n))).slice(-limit).map(redactText);
}
