import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResults } from '../results/model.ts';
import { redactResults, redactText } from '../results/redact.ts';
import { RESULTS_FILE_NAME, writeResults } from '../results/results-file.ts';
import { renderHtmlReport } from './html.ts';
import { renderJUnit } from './junit.ts';

/**
 * Where one run leaves its evidence: `<root>/<run-id>/` with results.json, junit.xml,
 * report.html, audit.jsonl (the token service's log) and kind-logs/ (`kind export logs`, written
 * by the runner on failure). CI uploads `<root>/` as it is; `pullproof report merge` reads it back.
 */

export const DEFAULT_ARTIFACTS_ROOT = 'artifacts';

/** The `--artifacts <dir>` option every command that writes a run's artifacts offers (commander flags, description). */
export const ARTIFACTS_OPTION = ['--artifacts <dir>', 'root directory for artifacts/<run-id>/ (default: $PULLPROOF_ARTIFACTS, else ./artifacts)'] as const;

/** `--artifacts` if given, else $PULLPROOF_ARTIFACTS (set by the CI workflow), else `artifacts`. */
export function artifactsRoot(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env.PULLPROOF_ARTIFACTS || DEFAULT_ARTIFACTS_ROOT);
}

export interface RunArtifactPaths {
  readonly dir: string;
  readonly results: string;
  readonly junit: string;
  readonly html: string;
  readonly audit: string;
  /** For `kind export logs <kindLogs>`; created by whoever exports, only on failure. */
  readonly kindLogs: string;
}

export class ArtifactsError extends Error {
  readonly runId: string;
  constructor(runId: string, problem: string) {
    super(`run id ${JSON.stringify(runId)} ${problem}`);
    this.name = 'ArtifactsError';
    this.runId = runId;
  }
}

// The run id becomes a directory name: no separators, no "..", nothing a shell would mangle.
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function runArtifactPaths(root: string, runId: string): RunArtifactPaths {
  if (!RUN_ID.test(runId) || runId.includes('..')) {
    throw new ArtifactsError(runId, 'cannot name an artifacts directory: use letters, digits, ".", "_", "+" or "-" (e.g. a timestamp or the CI run id)');
  }
  const dir = join(root, runId);
  return {
    dir,
    results: join(dir, RESULTS_FILE_NAME),
    junit: join(dir, 'junit.xml'),
    html: join(dir, 'report.html'),
    audit: join(dir, 'audit.jsonl'),
    kindLogs: join(dir, 'kind-logs'),
  };
}

export interface WriteArtifactsOptions {
  /** Defaults to artifactsRoot(): $PULLPROOF_ARTIFACTS, else `artifacts` (relative to the working directory). */
  readonly root?: string;
  /** Token-service audit entries, written one JSON object per line (redacted once more here). */
  readonly audit?: readonly object[];
}

/** Writes results.json, junit.xml and report.html (and audit.jsonl when given); returns the paths. */
export async function writeRunArtifacts(input: RunResults, options: WriteArtifactsOptions = {}): Promise<RunArtifactPaths> {
  const paths = runArtifactPaths(options.root ?? artifactsRoot(), input.runId);
  const results = redactResults(input);
  await mkdir(paths.dir, { recursive: true });
  await writeResults(results, paths.results);
  await writeFile(paths.junit, renderJUnit(results), 'utf8');
  await writeFile(paths.html, renderHtmlReport(results), 'utf8');
  if (options.audit) await writeFile(paths.audit, options.audit.map((entry) => `${redactText(JSON.stringify(entry))}\n`).join(''), 'utf8');
  return paths;
}
