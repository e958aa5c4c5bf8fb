import { goQuote } from './quote.ts';

/**
 * The part of Go's `net/url.Parse` that kubelet's `ParseSchemelessURL` relies on
 * (k/k pkg/credentialprovider/keyring.go: `url.Parse("https://" + s)`, scheme cleared).
 * Errors render like Go's `*url.Error`: `parse "https://%invalid%": invalid URL escape "%in"`.
 */
export interface GoURL {
  readonly host: string;
  readonly path: string;
}

export class GoURLError extends Error {
  readonly url: string;
  constructor(url: string, detail: string) {
    super(`parse ${goQuote(url)}: ${detail}`);
    this.name = 'GoURLError';
    this.url = url;
  }
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const unhex = (c: string): number => parseInt(c, 16);

// net/url shouldEscape(c, encodeHost): which ASCII bytes may appear unescaped in a host.
function hostByteAllowed(c: string): boolean {
  if (/^[A-Za-z0-9]$/.test(c)) return true;
  return '!$&\'()*+,;=:[]<>"-_.~'.includes(c);
}

type Mode = 'host' | 'path' | 'fragment' | 'userinfo';

/**
 * net/url unescape(s, mode): validates %-escapes (and, for hosts, the characters themselves) and
 * returns the *decoded* text — url.URL.Host and .Path hold decoded values, so kubelet's
 * URLsMatch compares `registry.io/%66oo` as `registry.io/foo`. Returns an error string or the text.
 */
function unescape(s: string, mode: Mode): { error: string } | { value: string } {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] ?? 0;
    if (b === 0x25) {
      const h1 = String.fromCharCode(raw[i + 1] ?? 0);
      const h2 = String.fromCharCode(raw[i + 2] ?? 0);
      if (i + 2 >= raw.length || !isHex(h1) || !isHex(h2)) {
        return { error: `invalid URL escape ${goQuote(raw.subarray(i, Math.min(i + 3, raw.length)).toString('utf8'))}` };
      }
      // RFC 3986 §3.2.2: in a host, %-encoding may only be used for non-ASCII bytes (%25 aside).
      if (mode === 'host' && unhex(h1) < 8 && `%${h1}${h2}` !== '%25') return { error: `invalid URL escape ${goQuote(`%${h1}${h2}`)}` };
      bytes.push(unhex(h1) * 16 + unhex(h2));
      i += 2;
      continue;
    }
    if (mode === 'host' && b < 0x80 && !hostByteAllowed(String.fromCharCode(b))) return { error: `invalid character ${goQuote(String.fromCharCode(b))} in host name` };
    bytes.push(b);
  }
  return { value: Buffer.from(bytes).toString('utf8') };
}

// net/url validOptionalPort: "" or ":" followed by digits only.
const validOptionalPort = (port: string): boolean => port === '' || /^:\d*$/.test(port);

export interface GoURLOptions {
  /**
   * Go >= 1.24.8 / 1.25.2 (CVE-2025-47912 fix, golang/go src/net/url/url.go parseHost:
   * `if openBracketIdx := strings.LastIndex(host, "["); openBracketIdx > 0 { return "", errors.New("invalid IP-literal") }`)
   * rejects `[` anywhere but the start of the host. Default true: every kubelet patch release the
   * harness pins is built with such a Go (see kubelet-rules.ts goNetURLStrictIPLiteral).
   */
  readonly strictIPLiteral?: boolean;
}

function parseHost(host: string, options: GoURLOptions): { error: string } | { value: string } {
  const open = host.lastIndexOf('[');
  if ((options.strictIPLiteral ?? true) && open > 0) return { error: 'invalid IP-literal' };
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']');
    if (end < 0) return { error: "missing ']' in host" };
    const colonPort = host.slice(end + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
    const inner = unescape(host.slice(0, end + 1), 'host');
    if ('error' in inner) return inner;
    return { value: inner.value + colonPort };
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    const colonPort = host.slice(colon);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
  }
  return unescape(host, 'host');
}

/**
 * Go `url.Parse(raw)` for an absolute `scheme://authority/path` URL; only what matching needs.
 * Order as in url.go: the fragment is cut off first and errors from the rest name the URL
 * *without* it; the host is parsed before the userinfo is checked; the fragment last.
 */
export function parseGoURL(raw: string, options: GoURLOptions = {}): GoURL {
  const hashAt = raw.indexOf('#');
  const u = hashAt >= 0 ? raw.slice(0, hashAt) : raw;
  // parse(u): "invalid control character in URL" for any ASCII CTL byte.
  if ([...u].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new GoURLError(u, 'net/url: invalid control character in URL');
  const schemeEnd = u.indexOf('://');
  let rest = schemeEnd >= 0 ? u.slice(schemeEnd + 1) : u;
  const queryAt = rest.indexOf('?');
  if (queryAt >= 0) rest = rest.slice(0, queryAt);
  let host = '';
  let rawPath = rest;
  if (rest.startsWith('//')) {
    const afterSlashes = rest.slice(2);
    const slash = afterSlashes.indexOf('/');
    const authority = slash >= 0 ? afterSlashes.slice(0, slash) : afterSlashes;
    rawPath = slash >= 0 ? afterSlashes.slice(slash) : '';
    // parseAuthority: host first, then `validUserinfo`.
    const at = authority.lastIndexOf('@');
    const parsedHost = parseHost(at >= 0 ? authority.slice(at + 1) : authority, options);
    if ('error' in parsedHost) throw new GoURLError(u, parsedHost.error);
    if (at >= 0 && !/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) throw new GoURLError(u, 'net/url: invalid userinfo');
    host = parsedHost.value;
  }
  const path = unescape(rawPath, 'path');
  if ('error' in path) throw new GoURLError(u, path.error);
  if (hashAt >= 0) {
    const fragment = unescape(raw.slice(hashAt + 1), 'fragment');
    if ('error' in fragment) throw new GoURLError(raw, fragment.error);
  }
  return { host, path: path.value };
}
