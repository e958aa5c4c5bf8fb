import { PluginError } from './errors.ts';

/**
 * Configuration comes only from what a CredentialProviderConfig entry can pass: `args` and `env`
 * (flags win over env). Each flag has a PULLPROOF_* variable of the same meaning.
 */
export type Mode = 'passthrough' | 'exchange';
export type CacheKeyType = 'Image' | 'Registry' | 'Global';

export interface PluginOptions {
  readonly mode: Mode;
  /** Base URL of the token service; the plugin POSTs to `<base>/exchange`. */
  readonly exchangeUrl: string | undefined;
  /** Service-account annotation whose value is the role to assume (exchange mode). */
  readonly roleAnnotation: string;
  /** Mirrors tokenAttributes.cacheType so passthrough can refuse a config kubelet would drop. */
  readonly cacheType: 'Token' | 'ServiceAccount' | undefined;
  readonly cacheKeyType: CacheKeyType;
  /** Username returned next to the token in passthrough mode. */
  readonly username: string;
  /** Seconds subtracted from every credential lifetime before it becomes cacheDuration. */
  readonly safetyMarginSeconds: number;
  /** HTTP timeout for the exchange call (kubelet kills us after 60 s regardless). */
  readonly timeoutMs: number;
  /** PEM CA bundle for an https exchange endpoint. */
  readonly caFile: string | undefined;
  /** auth key override (default: the image's registry host[:port]). */
  readonly authKey: string | undefined;
}

export const USAGE = `usage: pullproof-credential-provider --mode passthrough|exchange [flags]   (request on stdin, response on stdout)
  --mode <m>              passthrough: the service-account token is the registry password (needs tokenAttributes.cacheType: Token)
                          exchange: trade the token for a short-lived credential at <exchange-url>/exchange   [PULLPROOF_MODE]
  --exchange-url <url>    token service base URL (exchange mode)                        [PULLPROOF_EXCHANGE_URL]
  --role-annotation <k>   SA annotation naming the role (default pullproof.dev/role)    [PULLPROOF_ROLE_ANNOTATION]
  --cache-type <t>        the config's tokenAttributes.cacheType, Token|ServiceAccount  [PULLPROOF_CACHE_TYPE]
  --cache-key-type <t>    Image|Registry|Global (default Registry)                      [PULLPROOF_CACHE_KEY_TYPE]
  --username <u>          username returned in passthrough mode (default pullproof-sa)  [PULLPROOF_USERNAME]
  --safety-margin <s>     seconds taken off credential lifetimes (default 30)           [PULLPROOF_SAFETY_MARGIN]
  --timeout <ms>          exchange HTTP timeout (default 10000)                         [PULLPROOF_TIMEOUT_MS]
  --ca-file <path>        CA bundle for an https exchange URL                           [PULLPROOF_CA_FILE]
  --auth-key <pattern>    auth map key (default: the image's registry host[:port])      [PULLPROOF_AUTH_KEY]`;

const FLAGS: Readonly<Record<string, string>> = {
  '--mode': 'PULLPROOF_MODE',
  '--exchange-url': 'PULLPROOF_EXCHANGE_URL',
  '--role-annotation': 'PULLPROOF_ROLE_ANNOTATION',
  '--cache-type': 'PULLPROOF_CACHE_TYPE',
  '--cache-key-type': 'PULLPROOF_CACHE_KEY_TYPE',
  '--username': 'PULLPROOF_USERNAME',
  '--safety-margin': 'PULLPROOF_SAFETY_MARGIN',
  '--timeout': 'PULLPROOF_TIMEOUT_MS',
  '--ca-file': 'PULLPROOF_CA_FILE',
  '--auth-key': 'PULLPROOF_AUTH_KEY',
};

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T | undefined): T | undefined {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new PluginError('usage', `${flag} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value as T;
}

function nonNegativeNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new PluginError('usage', `${flag} ${JSON.stringify(value)} must be a non-negative number`);
  return n;
}

export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): PluginOptions {
  const values: Record<string, string | undefined> = {};
  for (const [flag, variable] of Object.entries(FLAGS)) values[flag] = env[variable];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(flag in FLAGS)) throw new PluginError('usage', `unknown argument ${JSON.stringify(arg)}; known flags: ${Object.keys(FLAGS).join(' ')}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new PluginError('usage', `${flag} needs a value`);
    values[flag] = value;
  }
  const mode = oneOf('--mode', values['--mode'], ['passthrough', 'exchange'] as const, undefined);
  if (!mode) throw new PluginError('usage', 'no mode: pass --mode passthrough or --mode exchange in the provider\'s args (or PULLPROOF_MODE in its env)');
  const exchangeUrl = values['--exchange-url'] || undefined;
  if (mode === 'exchange') {
    if (!exchangeUrl) throw new PluginError('usage', 'exchange mode needs --exchange-url <token service base URL> (or PULLPROOF_EXCHANGE_URL)');
    let parsed: URL;
    try {
      parsed = new URL(exchangeUrl);
    } catch {
      throw new PluginError('usage', `--exchange-url ${JSON.stringify(exchangeUrl)} is not a URL; expected e.g. http://172.18.0.1:5001`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new PluginError('usage', `--exchange-url ${JSON.stringify(exchangeUrl)} must be http:// or https://`);
  }
  return {
    mode,
    exchangeUrl,
    roleAnnotation: values['--role-annotation'] || 'pullproof.dev/role',
    cacheType: oneOf('--cache-type', values['--cache-type'], ['Token', 'ServiceAccount'] as const, undefined),
    cacheKeyType: oneOf('--cache-key-type', values['--cache-key-type'], ['Image', 'Registry', 'Global'] as const, 'Registry') ?? 'Registry',
    username: values['--username'] || 'pullproof-sa',
    safetyMarginSeconds: nonNegativeNumber('--safety-margin', values['--safety-margin'], 30),
    timeoutMs: nonNegativeNumber('--timeout', values['--timeout'], 10_000),
    caFile: values['--ca-file'] || undefined,
    authKey: values['--auth-key'] || undefined,
  };
}
