/**
 * Timestamps as text for the token service's answers and audit entries. Under load every request of a
 * second formats the same second, so its text up to the seconds is kept from the last call: a Date
 * and toISOString per request showed in the bench profile.
 */
let lastSecond = { second: Number.NaN, prefix: '' };

/** `YYYY-MM-DDTHH:MM:SS` of the second `ms` falls in (UTC). */
function secondText(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond.second) lastSecond = { second, prefix: new Date(second * 1000).toISOString().slice(0, 19) };
  return lastSecond.prefix;
}

/** Exactly `new Date(ms).toISOString()`. */
export function isoTime(ms: number): string {
  const milli = ms - Math.floor(ms / 1000) * 1000;
  return `${secondText(ms)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** RFC 3339 without fractional seconds (`2026-12-02T06:00:00Z`), as distribution's own token server writes issued_at. */
export const rfc3339 = (date: Date): string => `${secondText(date.getTime())}Z`;
