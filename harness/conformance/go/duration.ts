/**
 * Go's `time.Duration` as kubelet sees it: `metav1.Duration` unmarshals with `time.ParseDuration`
 * and validation messages print a duration with `Duration.String()` (e.g. `"-1m0s"`). Values are
 * nanoseconds held in a JS number (exact up to ~104 days, far beyond any cache duration).
 */

const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export class GoDurationError extends Error {
  readonly input: string;
  constructor(message: string, input: string) {
    super(message);
    this.name = 'GoDurationError';
    this.input = input;
  }
}

const quote = (s: string): string => JSON.stringify(s);

/** Port of Go `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, "0" alone allowed. Returns nanoseconds. */
export function parseGoDuration(input: string): number {
  let s = input;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new GoDurationError(`time: invalid duration ${quote(input)}`, input);
  let total = 0;
  while (s !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s);
    const intPart = number?.[1] ?? '';
    const fracPart = number?.[2] ?? '';
    if (!number || (intPart === '' && fracPart === '')) throw new GoDurationError(`time: invalid duration ${quote(input)}`, input);
    s = s.slice(number[0].length);
    const unitMatch = /^[^\d.]+/.exec(s);
    if (!unitMatch) throw new GoDurationError(`time: missing unit in duration ${quote(input)}`, input);
    const unit = unitMatch[0];
    const scale = UNITS[unit];
    if (scale === undefined) throw new GoDurationError(`time: unknown unit ${quote(unit)} in duration ${quote(input)}`, input);
    s = s.slice(unit.length);
    total += Number(intPart || '0') * scale + (fracPart ? Number(`0.${fracPart}`) * scale : 0);
  }
  const rounded = Math.round(total);
  return negative ? -rounded : rounded;
}

function withFraction(value: number, digits: number): string {
  const scale = 10 ** digits;
  const whole = Math.floor(value / scale);
  const fraction = value % scale;
  if (fraction === 0) return String(whole);
  return `${whole}.${String(fraction).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Port of Go `time.Duration.String()`: "0s", "1.5ms", "10m0s", "1h0m0s", "-1m0s". */
export function formatGoDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return '0s';
  const sign = nanoseconds < 0 ? '-' : '';
  const u = Math.abs(Math.round(nanoseconds));
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${withFraction(u, 3)}µs`;
  if (u < 1e9) return `${sign}${withFraction(u, 6)}ms`;
  const totalSeconds = Math.floor(u / 1e9);
  const seconds = `${withFraction((totalSeconds % 60) * 1e9 + (u % 1e9), 9)}s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
