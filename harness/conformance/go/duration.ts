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

const MAX_U63 = 1n << 63n;

// leadingInt: consumes [0-9]*; overflow past 1<<63 is an error (reported as "invalid duration").
function leadingInt(s: string): { x: bigint; rest: string } | undefined {
  let x = 0n;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (x > MAX_U63 / 10n) return undefined;
    x = x * 10n + BigInt(c - 48);
    if (x > MAX_U63) return undefined;
  }
  return { x, rest: s.slice(i) };
}

// leadingFraction: "does not return an error on overflow, it just stops accumulating precision".
function leadingFraction(s: string): { x: bigint; scale: number; rest: string } {
  let x = 0n;
  let scale = 1;
  let overflow = false;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (overflow) continue;
    if (x > (MAX_U63 - 1n) / 10n) {
      overflow = true;
      continue;
    }
    const y = x * 10n + BigInt(c - 48);
    if (y > MAX_U63) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  return { x, scale, rest: s.slice(i) };
}

/**
 * Port of Go `time.ParseDuration` (golang/go src/time/format.go; stored copy read: find_string id
 * 102055067): uint64 arithmetic with overflow checks (`3000000h` → `time: invalid duration`), and
 * fractions added as `uint64(float64(f) * (float64(unit) / scale))`, i.e. *truncated* (`0.5ns` is
 * 0, not 1). Returns nanoseconds (a JS number: exact up to ~104 days, far beyond any cache duration).
 */
export function parseGoDuration(input: string): number {
  const invalid = (): GoDurationError => new GoDurationError(`time: invalid duration ${quote(input)}`, input);
  let s = input;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let d = 0n;
  while (s !== '') {
    // "The next character must be [0-9.]"
    if (!/^[0-9.]/.test(s)) throw invalid();
    const before = s.length;
    const int = leadingInt(s);
    if (!int) throw invalid();
    s = int.rest;
    const pre = before !== s.length;
    let post = false;
    let f = 0n;
    let scale = 1;
    if (s.startsWith('.')) {
      s = s.slice(1);
      const len = s.length;
      const frac = leadingFraction(s);
      ({ x: f, scale } = frac);
      s = frac.rest;
      post = len !== s.length;
    }
    if (!pre && !post) throw invalid(); // no digits (e.g. ".s" or "-.s")
    const unitMatch = /^[^0-9.]+/.exec(s);
    if (!unitMatch) throw new GoDurationError(`time: missing unit in duration ${quote(input)}`, input);
    const unitText = unitMatch[0];
    s = s.slice(unitText.length);
    const unitNs = UNITS[unitText];
    if (unitNs === undefined) throw new GoDurationError(`time: unknown unit ${quote(unitText)} in duration ${quote(input)}`, input);
    const unit = BigInt(unitNs);
    let v = int.x;
    if (v > MAX_U63 / unit) throw invalid(); // overflow
    v *= unit;
    if (f > 0n) {
      // float64 is needed to be nanosecond accurate for fractions of hours; uint64() truncates.
      v += BigInt(Math.trunc(Number(f) * (unitNs / scale)));
      if (v > MAX_U63) throw invalid();
    }
    d += v;
    if (d > MAX_U63) throw invalid();
  }
  if (negative) return -Number(d);
  if (d > MAX_U63 - 1n) throw invalid();
  return Number(d);
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
