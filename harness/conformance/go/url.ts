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

// net/url unescape(): validates %-escapes (and, for hosts, the characters themselves).
function validateEscapes(s: string, mode: Mode): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '%') {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) return `invalid URL escape ${goQuote(s.slice(i, i + 3))}`;
      // RFC 3986 §3.2.2: in a host, %-encoding may only be used for non-ASCII bytes (%25 aside).
      if (mode === 'host' && unhex(s[i + 1] ?? '0') < 8 && s.slice(i, i + 3) !== '%25') {
        return `invalid URL escape ${goQuote(s.slice(i, i + 3))}`;
      }
      i += 2;
      continue;
    }
    if (mode === 'host' && c.charCodeAt(0) < 0x80 && !hostByteAllowed(c)) return `invalid character ${goQuote(c)} in host name`;
  }
  return undefined;
}

// net/url validOptionalPort: "" or ":" followed by digits only.
const validOptionalPort = (port: string): boolean => port === '' || /^:\d*$/.test(port);

function parseHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']');
    if (end < 0) return "missing ']' in host";
    const colonPort = host.slice(end + 1);
    if (!validOptionalPort(colonPort)) return `invalid port ${goQuote(colonPort)} after host`;
    return validateEscapes(host.slice(0, end + 1), 'host');
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    const colonPort = host.slice(colon);
    if (!validOptionalPort(colonPort)) return `invalid port ${goQuote(colonPort)} after host`;
  }
  return validateEscapes(host, 'host');
}

/** Go `url.Parse(raw)` for an absolute `scheme://authority/path` URL; only what matching needs. */
export function parseGoURL(raw: string): GoURL {
  // net/url: "invalid control character in URL" for any ASCII CTL byte.
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new GoURLError(raw, 'net/url: invalid control character in URL');
  const hashAt = raw.indexOf('#');
  const withoutFragment = hashAt >= 0 ? raw.slice(0, hashAt) : raw;
  if (hashAt >= 0) {
    const fragmentError = validateEscapes(raw.slice(hashAt + 1), 'fragment');
    if (fragmentError) throw new GoURLError(raw, fragmentError);
  }
  const schemeEnd = withoutFragment.indexOf('://');
  let rest = schemeEnd >= 0 ? withoutFragment.slice(schemeEnd + 1) : withoutFragment;
  const queryAt = rest.indexOf('?');
  if (queryAt >= 0) rest = rest.slice(0, queryAt);
  if (!rest.startsWith('//')) return { host: '', path: rest };
  const afterSlashes = rest.slice(2);
  const slash = afterSlashes.indexOf('/');
  const authority = slash >= 0 ? afterSlashes.slice(0, slash) : afterSlashes;
  const path = slash >= 0 ? afterSlashes.slice(slash) : '';
  const at = authority.lastIndexOf('@');
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  if (at >= 0 && !/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) {
    throw new GoURLError(raw, 'net/url: invalid userinfo');
  }
  const hostError = parseHost(host);
  if (hostError) throw new GoURLError(raw, hostError);
  const pathError = validateEscapes(path, 'path');
  if (pathError) throw new GoURLError(raw, pathError);
  return { host, path };
}
