import { PluginError } from './errors.ts';
import { parseOptions, USAGE } from './options.ts';
import { passthrough } from './passthrough.ts';
import { parseRequest, type CredentialProviderResponse } from './request.ts';

export interface PluginRun {
  readonly exitCode: number;
  /** The response JSON, or '' on any failure (kubelet must never see a partial answer). */
  readonly stdout: string;
  /** One line on failure, '' on success. Never contains the token. */
  readonly stderr: string;
}

export interface PluginInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: string;
  readonly now?: () => number;
}

const PREFIX = 'pullproof-credential-provider: ';

/** Scrubs the token (and any JWT-looking string) out of a message before it reaches stderr. */
function scrub(message: string, token: string | undefined): string {
  let out = message.replace(/\r?\n/g, ' ');
  if (token) out = out.split(token).join('<redacted>');
  return out.replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, '<redacted-jwt>');
}

function tokenIn(stdin: string): string | undefined {
  const match = /"serviceAccountToken"\s*:\s*"([^"]+)"/.exec(stdin);
  return match?.[1];
}

export async function runPlugin(input: PluginInput): Promise<PluginRun> {
  if (input.argv.includes('--help') || input.argv.includes('-h')) return { exitCode: 0, stdout: '', stderr: `${USAGE}\n` };
  const nowSeconds = (): number => (input.now ?? Date.now)() / 1000;
  try {
    const options = parseOptions(input.argv, input.env);
    const request = parseRequest(input.stdin);
    const response: CredentialProviderResponse = options.mode === 'passthrough' ? passthrough(request, options, nowSeconds()) : await (await import('./exchange.ts')).exchange(request, options, nowSeconds);
    return { exitCode: 0, stdout: `${JSON.stringify(response)}\n`, stderr: '' };
  } catch (error) {
    const exitCode = error instanceof PluginError ? error.exitCode : 1;
    const message = error instanceof PluginError ? error.message : `internal error: ${(error as Error).message ?? String(error)}`;
    return { exitCode, stdout: '', stderr: `${PREFIX}${scrub(message, tokenIn(input.stdin))}\n` };
  }
}
