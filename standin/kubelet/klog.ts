/**
 * klog's text header, as kubelet writes it to its log (k8s.io/klog/v2 klog.go formatHeader):
 * `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, severity one of I/W/E/F, the thread id
 * right-aligned in 7 columns. The stand-in has no Go thread id; it prints its process id there.
 * Line numbers are not emulated (printed as 0): they differ between releases and no matcher uses them.
 */

export type KlogSeverity = 'I' | 'W' | 'E';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function klogLine(severity: KlogSeverity, file: string, message: string, now: Date = new Date(), pid: number = process.pid): string {
  // klog prints local time; kind nodes run in UTC, and so does the stand-in node.
  const header = `${severity}${pad(now.getUTCMonth() + 1, 2)}${pad(now.getUTCDate(), 2)} ${pad(now.getUTCHours(), 2)}:${pad(now.getUTCMinutes(), 2)}:${pad(now.getUTCSeconds(), 2)}.${pad(now.getUTCMilliseconds() * 1000, 6)} ${String(pid).padStart(7, ' ')} ${file}:0]`;
  // klog terminates every entry with exactly one newline; the caller adds it.
  return `${header} ${message.replace(/\n+$/, '')}`;
}
