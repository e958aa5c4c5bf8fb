import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { expressions, type Job, type Step, type Workflow } from '../../support/github-workflow.ts';

/**
 * .github/workflows/e2e.yml checked the way GitHub would reject it (required keys, step shape,
 * `needs` graph, expression contexts), plus the contract between its jobs: the plan job's output
 * is what `pullproof matrix` prints, and every `matrix.*` the e2e job uses exists in every entry
 * of that output after `fromJSON`.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const WORKFLOW_FILE = join(ROOT, '.github', 'workflows', 'e2e.yml');
const KIND_V0_33_0_LINUX_AMD64_SHA256 = 'aee6151561422756b764a4ae28e7f44cda5af5a9eead3cc9985112b1de8d8e0d';

const text = readFileSync(WORKFLOW_FILE, 'utf8');
const workflow = parse(text) as Workflow;
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const steps = (job: string): Step[] => workflow.jobs[job]?.steps ?? [];

/** What `fromJSON` gives GitHub for `strategy.matrix`: an object of vectors and/or include/exclude. */
function fromJSONMatrix(output: string): { include: Record<string, unknown>[] } {
  expect(output.includes('\n'), 'a $GITHUB_OUTPUT value written as name=value must be one line').toBe(false);
  const value = JSON.parse(output) as unknown;
  expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
  const matrix = value as Record<string, unknown>;
  expect(Object.keys(matrix)).toEqual(['include']);
  const include = matrix.include as Record<string, unknown>[];
  expect(Array.isArray(include) && include.length > 0, 'an empty matrix fails the workflow').toBe(true);
  expect(include.length).toBeLessThanOrEqual(256);
  for (const entry of include) for (const v of Object.values(entry)) expect(['string', 'number', 'boolean']).toContain(typeof v);
  return { include };
}

describe('e2e workflow structure', () => {
  it('has the keys GitHub requires: on, jobs, runs-on, and steps that each use or run something', () => {
    expect(workflow.on).toHaveProperty('push');
    expect(workflow.on).toHaveProperty('pull_request');
    expect(workflow.on).toHaveProperty('workflow_dispatch');
    expect(Object.keys(workflow.jobs)).toEqual(['plan', 'e2e', 'report']);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job['runs-on'], name).toBeTruthy();
      expect(job.steps?.length, name).toBeGreaterThan(0);
      for (const step of job.steps ?? []) {
        expect(Number(step.uses !== undefined) + Number(step.run !== undefined), `${name}: ${JSON.stringify(step)}`).toBe(1);
        if (step.uses) expect(step.uses, 'actions are pinned to a major version or commit').toMatch(/^[\w.-]+\/[\w.-]+@(v\d+|[0-9a-f]{40})$/);
      }
      const ids = (job.steps ?? []).flatMap((s) => (s.id ? [s.id] : []));
      expect(new Set(ids).size, `${name}: step ids are unique`).toBe(ids.length);
    }
  });

  it('needs only existing jobs, without cycles', () => {
    const names = Object.keys(workflow.jobs);
    for (const [name, job] of Object.entries(workflow.jobs)) for (const need of needsOf(job)) expect(names, `${name} needs ${need}`).toContain(need);
    const visiting = new Set<string>();
    const visit = (name: string): void => {
      expect(visiting.has(name), `cycle through ${name}`).toBe(false);
      visiting.add(name);
      needsOf(workflow.jobs[name] ?? {}).forEach(visit);
      visiting.delete(name);
    };
    names.forEach(visit);
  });

  it('uses only contexts GitHub provides, and every needs/steps output it reads exists', () => {
    const contexts = new Set(['github', 'env', 'vars', 'job', 'jobs', 'steps', 'runner', 'secrets', 'strategy', 'matrix', 'needs', 'inputs', 'always', 'failure', 'success', 'cancelled', 'fromJSON', 'toJSON', 'format', 'contains', 'startsWith', 'hashFiles']);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const expr of expressions(job)) {
        for (const [, word] of expr.matchAll(/(?<![\w.'-])([A-Za-z_][\w-]*)(?=[.(])/g)) expect(contexts, `${name}: ${expr}`).toContain(word);
        for (const [, job2, output] of expr.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          expect(needsOf(job), `${name} reads needs.${job2} without needing it`).toContain(job2);
          expect(Object.keys(workflow.jobs[job2 ?? '']?.outputs ?? {}), `${job2} has no output ${output}`).toContain(output);
        }
      }
      for (const [output, expr] of Object.entries(job.outputs ?? {})) {
        const ref = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}$/.exec(expr);
        expect(ref, `${name}.outputs.${output}`).not.toBeNull();
        const step = steps(name).find((s) => s.id === ref?.[1]);
        expect(step?.run, `${name} has no step ${ref?.[1]}`).toContain(`echo "${ref?.[2]}=`);
        expect(step?.run).toContain('>> "$GITHUB_OUTPUT"');
      }
    }
  });

  it('plans with `pullproof matrix` and runs the e2e job over fromJSON of that output', () => {
    const plan = steps('plan').find((s) => s.id === 'matrix');
    expect(plan?.run).toMatch(/npx pullproof matrix /);
    expect(workflow.jobs.plan?.outputs?.matrix).toBe('${{ steps.matrix.outputs.matrix }}');
    expect(needsOf(workflow.jobs.e2e ?? {})).toContain('plan');
    expect(workflow.jobs.e2e?.strategy?.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    expect(workflow.jobs.e2e?.strategy?.['fail-fast']).toBe(false);
  });

  it('installs kind pinned by version and sha256, checked against the release checksum file', () => {
    expect(workflow.env?.KIND_VERSION).toBe('v0.33.0');
    expect(workflow.env?.KIND_SHA256).toBe(KIND_V0_33_0_LINUX_AMD64_SHA256);
    const install = steps('e2e').find((s) => s.run?.includes('kind-linux-amd64'));
    expect(install?.run).toContain('releases/download/${KIND_VERSION}/kind-linux-amd64');
    expect(install?.run).toContain('${url}.sha256sum');
    expect(install?.run).toContain('sha256sum -c -');
    const order = steps('e2e').map((s) => s.run ?? s.uses ?? '');
    expect(order.findIndex((s) => s.includes('kind-linux-amd64'))).toBeLessThan(order.findIndex((s) => s.includes('make e2e')));
  });

  it('runs make e2e per matrix cell with the shard scenarios, and uploads artifacts (kind logs on failure)', () => {
    const env = workflow.jobs.e2e?.env ?? {};
    expect(env.K8S).toBe('${{ matrix.k8s }}');
    expect(env.PULLPROOF_SCENARIOS).toBe('${{ matrix.scenarios }}');
    expect(steps('e2e').some((s) => s.uses?.startsWith('actions/setup-node@') && s.with?.['node-version'] === 24)).toBe(true);
    expect(steps('e2e').some((s) => s.run === 'npm ci --no-audit --no-fund')).toBe(true);
    expect(steps('e2e').find((s) => s.run?.includes('make e2e'))?.run).toBe('make e2e K8S="${K8S}"');
    // The harness exports logs and deletes its clusters itself; the workflow collects only what it
    // could not (a job killed mid-run), and removes it, before the artifacts are uploaded.
    const leftBehind = steps('e2e').findIndex((s) => s.run?.includes('kind export logs'));
    expect(steps('e2e')[leftBehind]?.if).toBe('failure() || cancelled()');
    expect(steps('e2e')[leftBehind]?.run).toMatch(/grep '\^pullproof-'[\s\S]*kind delete cluster/);
    const uploadIndex = steps('e2e').findIndex((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(uploadIndex).toBeGreaterThan(leftBehind);
    const upload = steps('e2e')[uploadIndex];
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.path).toBe('artifacts/');
  });

  it('merges every shard in a final job that runs even when shards failed', () => {
    const report = workflow.jobs.report;
    expect(needsOf(report ?? {})).toEqual(['plan', 'e2e']);
    expect(report?.if).toContain('always()');
    const download = steps('report').find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with?.pattern).toBe('e2e-*');
    expect(steps('report').find((s) => s.run?.includes('pullproof report merge'))?.run).toMatch(/npx pullproof report merge shards --out merged/);
    // The merged report's own artifact must not match the shard pattern (a re-run would merge it).
    const uploadName = steps('report').find((s) => s.uses?.startsWith('actions/upload-artifact@'))?.with?.name;
    expect(String(uploadName)).not.toMatch(/^e2e-/);
  });
});

describe('pullproof matrix output through the workflow', () => {
  let matrix: { include: Record<string, unknown>[] };

  beforeAll(async () => {
    // The plan step's own command line (`npx pullproof matrix --shards 2`), with scenario files in a
    // temporary folder until the scenario registry exists.
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-scenarios-'));
    for (const name of ['sa-token-passthrough', 'annotation-scoped-exchange', 'cached-image-reverify', 'node-audience-rbac', 'no-annotation-default-deny']) {
      writeFileSync(join(dir, `${name}.ts`), '');
    }
    const run = await execa(process.execPath, [join(ROOT, 'bin', 'pullproof.mjs'), 'matrix', '--shards', '2', '--scenarios-dir', dir]);
    rmSync(dir, { recursive: true, force: true });
    matrix = fromJSONMatrix(run.stdout);
  });

  it('has every key the e2e job reads as matrix.<key> in every include entry', () => {
    const used = new Set(expressions(workflow.jobs.e2e).flatMap((expr) => [...expr.matchAll(/matrix\.([\w-]+)/g)].map((m) => m[1] ?? '')));
    expect([...used].sort()).toEqual(['k8s', 'scenarios', 'shard', 'shards']);
    for (const entry of matrix.include) for (const key of used) expect(entry, `include entry ${JSON.stringify(entry)}`).toHaveProperty(key);
  });

  it('lets a re-run job replace its own artifacts (upload-artifact v4 fails on a name clash otherwise)', () => {
    for (const job of ['e2e', 'report']) {
      expect(steps(job).find((s) => s.uses?.startsWith('actions/upload-artifact@'))?.with?.overwrite, job).toBe(true);
    }
  });

  it('gives every job a unique artifact name (upload-artifact v4 refuses duplicates)', () => {
    const template = String(steps('e2e').find((s) => s.uses?.startsWith('actions/upload-artifact@'))?.with?.name);
    const names = matrix.include.map((entry) => template.replace(/\$\{\{\s*matrix\.([\w-]+)\s*\}\}/g, (_m, key: string) => String(entry[key])));
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^e2e-/.test(n))).toBe(true);
  });

  it('covers every supported Kubernetes minor, each with all scenarios exactly once', () => {
    const byVersion = new Map<string, string[]>();
    for (const entry of matrix.include) byVersion.set(String(entry.k8s), [...(byVersion.get(String(entry.k8s)) ?? []), ...String(entry.scenarios).split(',')]);
    expect([...byVersion.keys()]).toEqual(['1.33', '1.34', '1.35', '1.36', '1.37']);
    for (const names of byVersion.values()) expect(names.sort()).toEqual(['annotation-scoped-exchange', 'cached-image-reverify', 'no-annotation-default-deny', 'node-audience-rbac', 'sa-token-passthrough']);
  });
});
