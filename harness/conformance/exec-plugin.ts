import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialProvider } from './config.ts';
import { goQuote } from './go/quote.ts';

/**
 * The process edge: exec a plugin exactly as kubelet's execPlugin does (k/k plugin.go):
 * `exec.CommandContext(ctx, filepath.Join(pluginBinDir, name), args...)`, stdin = request,
 * env = os.Environ() then the config's env appended (later duplicates win in Go's os/exec),
 * a catch-all 1-minute timeout that kills the process.
 */

export const KUBELET_EXEC_TIMEOUT_MS = 60_000;

export interface PluginExecution {
  readonly path: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Go's error text for a failed Run(): "exit status 1", "signal: killed", "fork/exec …: …", "context deadline exceeded". */
  readonly runError: string | undefined;
}

/** RegisterCredentialProviderPlugins failures, in kubelet's words. */
export class PluginRegistrationError extends Error {
  readonly kubeletMessage: string;
  readonly path: string;
  constructor(kubeletMessage: string, path: string, hint: string) {
    super(`${kubeletMessage} (${hint})`);
    this.name = 'PluginRegistrationError';
    this.kubeletMessage = kubeletMessage;
    this.path = path;
  }
}

export async function checkBinDir(binDir: string): Promise<void> {
  try {
    await stat(binDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PluginRegistrationError(`plugin binary directory ${binDir} did not exist`, binDir, 'pass --bin-dir pointing at the directory holding the plugin executables');
    throw new PluginRegistrationError(`error inspecting binary directory ${binDir}: ${(error as Error).message}`, binDir, 'check permissions');
  }
}

/**
 * `exec.LookPath(filepath.Join(pluginBinDir, provider.Name))`. On failure Go's LookPath returns ""
 * as the path, so kubelet's message literally reads "plugin binary executable  did not exist".
 */
export async function lookPath(binDir: string, name: string): Promise<string> {
  const path = join(binDir, name);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new PluginRegistrationError('plugin binary executable  did not exist', path, `no file ${path}: the provider name must match an executable in the bin dir`);
  }
  const executable = !info.isDirectory() && (await access(path, constants.X_OK).then(() => true, () => false));
  if (!executable) {
    throw new PluginRegistrationError(`error inspecting binary executable : exec: ${goQuote(path)}: permission denied`, path, `${path} is not an executable file: chmod +x it`);
  }
  return path;
}

export interface ExecOptions {
  readonly binDir: string;
  readonly provider: Pick<CredentialProvider, 'name' | 'args' | 'env'>;
  readonly stdin: string;
  /** The kubelet host's environment (default: this process's). */
  readonly hostEnv?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

export async function execPlugin(options: ExecOptions): Promise<PluginExecution> {
  const path = join(options.binDir, options.provider.name);
  const env: NodeJS.ProcessEnv = { ...(options.hostEnv ?? process.env) };
  for (const v of options.provider.env) env[v.name] = v.value; // mergeEnvVars: config env last, wins
  const timeoutMs = options.timeoutMs ?? KUBELET_EXEC_TIMEOUT_MS;
  const started = performance.now();
  return new Promise<PluginExecution>((resolve) => {
    const child = spawn(path, [...options.provider.args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let spawnError: string | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL'); // exec.CommandContext kills the process when the context expires
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.stdin.on('error', () => undefined); // plugin may exit without reading stdin
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = `fork/exec ${path}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.code === 'EACCES' ? 'permission denied' : error.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const runError = timedOut
        ? 'context deadline exceeded'
        : spawnError ?? (code !== 0 && code !== null ? `exit status ${code}` : signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal}` : undefined);
      resolve({
        path,
        args: options.provider.args,
        exitCode: code,
        signal,
        timedOut,
        durationMs: performance.now() - started,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        runError,
      });
    });
    child.stdin.end(options.stdin);
  });
}

/** kubelet's error for a failed exec: runPlugin's wrap, then `"%w: %s"` with stderr. */
export function execFailureMessage(name: string, image: string, exec: PluginExecution): string {
  return `error execing credential provider plugin ${name} for image ${image}: ${exec.runError ?? 'unknown error'}: ${exec.stderr}`;
}
