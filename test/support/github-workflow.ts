import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The part of a GitHub Actions workflow file the workflow structure tests read. */

export interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

export interface Job {
  readonly 'runs-on'?: unknown;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly 'timeout-minutes'?: number;
  readonly outputs?: Record<string, string>;
  readonly strategy?: { readonly matrix?: unknown; readonly 'fail-fast'?: boolean };
  readonly env?: Record<string, string>;
  readonly steps?: Step[];
}

export interface Workflow {
  readonly name?: string;
  readonly on?: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** `.github/workflows/<file>`, parsed. */
export function loadWorkflow(file: string): Workflow {
  return parse(readFileSync(join(REPO_ROOT, '.github', 'workflows', file), 'utf8')) as Workflow;
}

/** The `${{ … }}` expressions anywhere in a workflow value. */
export function expressions(value: unknown): string[] {
  return [...JSON.stringify(value).matchAll(/\$\{\{(.*?)\}\}/g)].map((m) => (m[1] ?? '').trim());
}
