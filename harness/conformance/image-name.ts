/**
 * Docker image-reference normalisation, ported from distribution/reference (the module kubelet and
 * containerd vendor): `ParseNormalizedNamed` (normalize.go), `Parse` and the reference types
 * (reference.go), the grammar (regexp.go). kubelet looks credentials up for
 * `ParseNormalizedNamed(image).Name()` (k/k pkg/util/parsers/parsers.go ParseImageName, used by
 * pkg/kubelet/images/image_manager.go); containerd's CRI plugin pulls `ParseDockerRef(image).String()`
 * (containerd pkg/cri/server/image_pull.go PullImage). Digest validation follows
 * opencontainers/go-digest (digest.go, algorithm.go).
 */
import { goQuote } from './go/quote.ts';

// regexp.go, verbatim pieces.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
// Go's [[:xdigit:]] is [0-9A-Fa-f].
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const identifier = '([a-f0-9]{64})';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredIdentifierRegexp = new RegExp(`^${identifier}$`);
const anchoredDigestRegexp = new RegExp(`^${digestPat}$`);

/** reference.go RepositoryNameTotalLengthMax. */
export const REPOSITORY_NAME_TOTAL_LENGTH_MAX = 255;

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';

/** The sentinel errors of reference.go and go-digest, with their exact text. */
export const REFERENCE_ERRORS = {
  referenceInvalidFormat: 'invalid reference format',
  nameContainsUppercase: 'repository name must be lowercase',
  nameEmpty: 'repository name must have at least one component',
  nameTooLong: `repository name must not be more than ${REPOSITORY_NAME_TOTAL_LENGTH_MAX} characters`,
  digestInvalidFormat: 'invalid checksum digest format',
  digestInvalidLength: 'invalid checksum digest length',
  digestUnsupported: 'unsupported digest algorithm',
} as const;

/** A reference the Go code rejects; `message` is Go's `err.Error()`. */
export class ImageReferenceError extends Error {
  readonly input: string;
  constructor(input: string, message: string) {
    super(message);
    this.name = 'ImageReferenceError';
    this.input = input;
  }
}

export interface NamedReference {
  /** Domain(named): '' only for references parsed without normalisation. */
  readonly domain: string;
  /** Path(named). */
  readonly path: string;
  /** Name(): domain + "/" + path (tag and digest stripped). */
  readonly name: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** String(): name[:tag][@digest]. */
  readonly string: string;
}

/** go-digest: algorithms registered by kubelet/containerd (crypto/sha256, crypto/sha512). */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

// go-digest Digest.Validate: "alg:encoded"; unknown algorithm → unsupported (or format); wrong
// length → length; non-lower-hex → format.
function validateDigest(input: string, digest: string): void {
  const i = digest.indexOf(':');
  if (i <= 0 || i + 1 === digest.length) throw new ImageReferenceError(input, REFERENCE_ERRORS.digestInvalidFormat);
  const algorithm = digest.slice(0, i);
  const encoded = digest.slice(i + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) {
    if (!anchoredDigestRegexp.test(digest)) throw new ImageReferenceError(input, REFERENCE_ERRORS.digestInvalidFormat);
    throw new ImageReferenceError(input, REFERENCE_ERRORS.digestUnsupported);
  }
  if (encoded.length !== length) throw new ImageReferenceError(input, REFERENCE_ERRORS.digestInvalidLength);
  if (!/^[a-f0-9]+$/.test(encoded)) throw new ImageReferenceError(input, REFERENCE_ERRORS.digestInvalidFormat);
}

function named(domain: string, path: string, tag: string | undefined, digest: string | undefined): NamedReference {
  const name = domain === '' ? path : `${domain}/${path}`;
  return { domain, path, name, tag, digest, string: `${name}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}` };
}

/** reference.go Parse (no normalisation). Digest-only references are not Named; they throw here. */
export function parseReference(s: string): NamedReference {
  if (s === '') throw new ImageReferenceError(s, REFERENCE_ERRORS.nameEmpty);
  const matches = referenceRegexp.exec(s);
  if (!matches) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRegexp.test(lower)) throw new ImageReferenceError(s, REFERENCE_ERRORS.nameContainsUppercase);
    throw new ImageReferenceError(s, REFERENCE_ERRORS.referenceInvalidFormat);
  }
  // The whole name (domain included) is limited, as in the release upstream's TestReferenceParse
  // rows were written for (`"a/"×128 + "a:tag"` is too long); a later reference.go limits the path only.
  if ((matches[1] ?? '').length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw new ImageReferenceError(s, REFERENCE_ERRORS.nameTooLong);
  const nameMatch = anchoredNameRegexp.exec(matches[1] ?? '');
  const domain = nameMatch ? (nameMatch[1] ?? '') : '';
  const path = nameMatch ? (nameMatch[2] ?? '') : (matches[1] ?? '');
  const digest = matches[3] || undefined;
  if (digest !== undefined) validateDigest(s, digest);
  return named(domain, path, matches[2] || undefined, digest);
}

// normalize.go splitDockerDomain.
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === 'localhost') [domain, remainder] = [maybeDomain, maybeRemote];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remainder] = [DEFAULT_DOMAIN, maybeRemote];
  else if (/[.:]/.test(maybeDomain)) [domain, remainder] = [maybeDomain, maybeRemote];
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remainder] = [maybeDomain, maybeRemote];
  else [domain, remainder] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** normalize.go ParseNormalizedNamed: familiar names expanded to `docker.io/library/…`. */
export function parseNormalizedNamed(s: string): NamedReference {
  if (anchoredIdentifierRegexp.test(s)) {
    throw new ImageReferenceError(s, `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new ImageReferenceError(s, `invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/**
 * kubelet's credential-lookup key: `ParseNormalizedNamed(image).Name()` — tag and digest stripped,
 * Docker Hub short names expanded (`busybox:1.36` → `docker.io/library/busybox`).
 */
export function imageRepository(image: string): string {
  return parseNormalizedNamed(image).name;
}

/**
 * k/k pkg/util/parsers/parsers.go ParseImageName: repository, tag and digest, with tag "latest"
 * when neither is given. Errors read `couldn't parse image name %q: %v`.
 */
export function parseImageName(image: string): { repository: string; tag: string; digest: string } {
  let ref: NamedReference;
  try {
    ref = parseNormalizedNamed(image);
  } catch (error) {
    if (error instanceof ImageReferenceError) throw new ImageReferenceError(image, `couldn't parse image name ${goQuote(image)}: ${error.message}`);
    throw error;
  }
  const tag = ref.tag ?? '';
  const digest = ref.digest ?? '';
  return { repository: ref.name, tag: tag === '' && digest === '' ? DEFAULT_TAG : tag, digest };
}

/**
 * normalize.go ParseDockerRef, as containerd's CRI PullImage uses it for the ref it pulls and names
 * in its errors: tagged and digested → digest only; name only → `:latest`.
 */
export function parseDockerRef(image: string): string {
  const ref = parseNormalizedNamed(image);
  if (ref.tag !== undefined && ref.digest !== undefined) return named(ref.domain, ref.path, undefined, ref.digest).string;
  if (ref.tag === undefined && ref.digest === undefined) return named(ref.domain, ref.path, DEFAULT_TAG, undefined).string;
  return ref.string;
}

/** normalize.go familiarizeName + String (FamiliarString): `docker.io/library/x` → `x`. */
export function familiarString(ref: NamedReference): string {
  let { domain, path } = ref;
  if (domain === DEFAULT_DOMAIN) {
    domain = '';
    if (path.startsWith(OFFICIAL_REPO_PREFIX) && !path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) path = path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return named(domain, path, ref.tag, ref.digest).string;
}
