import { goFilepathMatch } from './go/filepath-match.ts';
import { parseGoURL, type GoURL, type GoURLOptions } from './go/url.ts';

/**
 * kubelet's image matching, ported from k/k pkg/credentialprovider/keyring.go. Used twice: to
 * decide whether a provider is consulted at all (`isImageAllowed` over `matchImages`), and to
 * match the `auth` keys a plugin returns against the image (BasicDockerKeyring).
 */

/**
 * How the Go that built the kubelet parses URLs. Every function below takes it, so the caller
 * (runner → `KubeletRules.strictIPLiteral`) decides once per kubelet release; omitted = strict.
 */
export type MatchOptions = GoURLOptions;

/** keyring.go ParseSchemelessURL: `url.Parse("https://" + s)` with the scheme cleared. Throws GoURLError. */
export function parseSchemelessURL(schemeless: string, options: MatchOptions = {}): GoURL {
  return parseGoURL(`https://${schemeless}`, options);
}

/** keyring.go SplitURL: `net.SplitHostPort(host)`; on error the whole host with no port; labels split on ".". */
export function splitURL(url: GoURL): { parts: string[]; port: string } {
  const { host, port } = splitHostPort(url.host);
  return { parts: host.split('.'), port };
}

// Go net.SplitHostPort, reduced to its success cases: "host:port" or "[v6]:port". Anything else
// is an error, which SplitURL turns into (whole host, no port).
function splitHostPort(hostport: string): { host: string; port: string } {
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return { host: hostport, port: '' };
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== colon) return { host: hostport, port: '' };
    return { host: hostport.slice(1, end), port: hostport.slice(colon + 1) };
  }
  const host = hostport.slice(0, colon);
  if (host.includes(':')) return { host: hostport, port: '' }; // "too many colons"
  return { host, port: hostport.slice(colon + 1) };
}

/**
 * keyring.go URLsMatch: ports must be equal (a pattern without a port does not match an image
 * with one), the same number of host labels, the pattern's path a plain *string* prefix of the
 * image's path, and each label a `filepath.Match` glob. Throws BadPatternError like Go returns it.
 */
export function urlsMatch(glob: GoURL, target: GoURL): boolean {
  const g = splitURL(glob);
  const t = splitURL(target);
  if (g.port !== t.port) return false;
  if (g.parts.length !== t.parts.length) return false;
  if (!target.path.startsWith(glob.path)) return false;
  return g.parts.every((part, i) => goFilepathMatch(part, t.parts[i] ?? ''));
}

/** keyring.go URLsMatchStr. Unparsable input is an error, which every kubelet caller treats as "no match". */
export function urlsMatchStr(glob: string, target: string, options: MatchOptions = {}): boolean {
  return urlsMatch(parseSchemelessURL(glob, options), parseSchemelessURL(target, options));
}

/** `urlsMatchStr` with kubelet's callers' error handling: `if matched, _ := URLsMatchStr(...); matched`. */
export function imageMatches(glob: string, image: string, options: MatchOptions = {}): boolean {
  try {
    return urlsMatchStr(glob, image, options);
  } catch {
    return false;
  }
}

/** plugin.go isImageAllowed: any entry of the provider's matchImages matches the image. */
export function isImageAllowed(matchImages: readonly string[], image: string, options: MatchOptions = {}): boolean {
  return matchImages.some((pattern) => imageMatches(pattern, image, options));
}

/** keyring.go isDefaultRegistryMatch: the image resolves to Docker Hub. */
export function isDefaultRegistryMatch(image: string): boolean {
  const slash = image.indexOf('/');
  const first = slash >= 0 ? image.slice(0, slash) : image;
  if (first.length === 0) return false;
  if (slash < 0) return true;
  if (first === 'docker.io' || first === 'index.docker.io') return true;
  return !/[.:]/.test(first);
}

export interface AuthConfig {
  readonly username: string;
  readonly password: string;
}

export interface KeyringMatch<T> {
  /** The keyring index key that matched (scheme stripped, `/v1/` `/v2/` folded to the host). */
  readonly key: string;
  readonly value: T;
}

const DEFAULT_REGISTRY_HOST = 'index.docker.io';

/**
 * keyring.go BasicDockerKeyring. `add` normalises each location, de-duplicates the index and
 * reverse-sorts it "so more specific paths are matched first"; `lookup` returns the entries of
 * *every* matching key in index order, falling back to `index.docker.io` for Docker Hub images.
 */
export class BasicDockerKeyring<T = AuthConfig> {
  #index: string[] = [];
  readonly #creds = new Map<string, T[]>();
  readonly #options: MatchOptions;

  constructor(options: MatchOptions = {}) {
    this.#options = options;
  }

  add(config: Iterable<readonly [string, T]>): void {
    for (const [location, value] of config) {
      const withScheme = location.startsWith('https://') || location.startsWith('http://') ? location : `https://${location}`;
      let parsed: GoURL;
      try {
        parsed = parseGoURL(withScheme, this.#options);
      } catch {
        continue; // kubelet: "Entry %q in dockercfg invalid (%v), ignoring"
      }
      // "It also considers /v2/ and /v1/ equivalent to the hostname" (docker's ResolveAuthConfig).
      let effectivePath = parsed.path;
      if (effectivePath.startsWith('/v2/') || effectivePath.startsWith('/v1/')) effectivePath = effectivePath.slice(3);
      const key = effectivePath.length > 0 && effectivePath !== '/' ? parsed.host + effectivePath : parsed.host;
      this.#creds.set(key, [...(this.#creds.get(key) ?? []), value]);
      this.#index.push(key);
    }
    // Go sort.Strings is a byte-wise order; JS default sort compares UTF-16 units (same for ASCII keys).
    this.#index = [...new Set(this.#index)].sort().reverse();
  }

  get index(): readonly string[] {
    return this.#index;
  }

  lookup(image: string): KeyringMatch<T>[] {
    const out: KeyringMatch<T>[] = [];
    for (const key of this.#index) {
      if (!imageMatches(key, image, this.#options)) continue;
      for (const value of this.#creds.get(key) ?? []) out.push({ key, value });
    }
    if (out.length > 0) return out;
    if (isDefaultRegistryMatch(image)) {
      return (this.#creds.get(DEFAULT_REGISTRY_HOST) ?? []).map((value) => ({ key: DEFAULT_REGISTRY_HOST, value }));
    }
    return [];
  }
}
