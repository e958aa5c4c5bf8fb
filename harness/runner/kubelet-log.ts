import { execa } from 'execa';
import { redactText } from '../results/redact.ts';

/**
 * kubelet's log lines about one pod or image, from the node's journal (kind nodes run systemd),
 * bounded to the time since the pod was created. Redacted: kubelet at -v=4 logs plugin requests.
 */
export async function kubeletLogLines(node: string, since: Date, needles: readonly string[], limit = 80): Promise<string[]> {
  // systemd.time(7) accepts a trailing "UTC"; without it --since is read in the node's local zone.
  const sinceArg = `${since.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  const result = await execa('docker', ['exec', node, 'journalctl', '-u', 'kubelet', '--no-pager', '-o', 'cat', '--utc', '--since', sinceArg], { reject: false, timeout: 20_000 });
  if (result.exitCode !== 0) return [`(kubelet log unavailable from ${node}: ${result.stderr.trim().split('\n')[0] ?? `exit ${result.exitCode}`})`];
  const lines = result.stdout.split('\n').filter((line) => needles.some((n) => line.includes(n)));
  return lines.slice(-limit).map(redactText);
}
