/**
 * kubelet's image-pull back-off (k/k pkg/kubelet/images/image_manager.go, backOffKey
 * `fmt.Sprintf("%s_%s", pod.UID, image)`, with a client-go util/flowcontrol Backoff): the first
 * failure waits the initial period, each further failure doubles it, capped at the maximum.
 * Initial 10 s is UNVERIFIED (reference §1.2); the 300 s cap is from kubernetes/website PR #28605.
 * flowcontrol.Backoff.Next resets to the initial period once an entry is older than 2 × max.
 */

export const IMAGE_BACKOFF_INITIAL_MS = 10_000;
export const IMAGE_BACKOFF_MAX_MS = 300_000;

export interface BackoffEntry {
  readonly delayMs: number;
  readonly lastUpdate: number;
}

/** flowcontrol.Backoff.Next: the entry after one more failure at `now`. */
export function nextBackoff(entry: BackoffEntry | undefined, now: number, initialMs = IMAGE_BACKOFF_INITIAL_MS, maxMs = IMAGE_BACKOFF_MAX_MS): BackoffEntry {
  if (entry === undefined || now - entry.lastUpdate > 2 * maxMs) return { delayMs: initialMs, lastUpdate: now };
  return { delayMs: Math.min(entry.delayMs * 2, maxMs), lastUpdate: now };
}

/** The first `count` waits between attempts: 10 s, 20 s, 40 s, … 300 s, 300 s. */
export function backoffSchedule(count: number, initialMs = IMAGE_BACKOFF_INITIAL_MS, maxMs = IMAGE_BACKOFF_MAX_MS): number[] {
  const out: number[] = [];
  let entry: BackoffEntry | undefined;
  for (let i = 0; i < count; i++) {
    entry = nextBackoff(entry, 0, initialMs, maxMs);
    out.push(entry.delayMs);
  }
  return out;
}
