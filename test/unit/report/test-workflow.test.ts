import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expressions, loadWorkflow } from '../../support/github-workflow.ts';

/**
 * .github/workflows/test.yml checked as GitHub would read it (keys, step shape, pinned actions,
 * expression contexts), and its contract with the repository: it runs `.ci/run` (and so `make test`
 * with PULLPROOF_REQUIRE_DOCKER=1) in a clean Debian container on the same runner image as the e2e
 * workflow, and `.ci/host-setup.sh` installs every host tool the tests call. It cannot run here
 * (no GitHub runner); this is what can be checked without one.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const read = (...path: string[]): string => readFileSync(join(ROOT, ...path), 'utf8');

const workflow = loadWorkflow('test.yml');
const e2e = loadWorkflow('e2e.yml');
const steps = workflow.jobs.test?.steps ?? [];

describe('test workflow structure', () => {
  it('runs on pushes to main and on every pull request, read-only', () => {
    expect(workflow.on).toHaveProperty('push');
    expect((workflow.on?.push as { branches?: string[] }).branches).toEqual(['main']);
    expect(workflow.on).toHaveProperty('pull_request');
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('has the keys GitHub requires, steps that each use or run one thing, and pinned actions', () => {
    expect(Object.keys(workflow.jobs)).toEqual(['test']);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job['runs-on'], name).toBeTruthy();
      expect(job['timeout-minutes'], `${name}: a hung dockerd must not hold a runner for 6 hours`).toBeGreaterThan(0);
      expect(job.steps?.length, name).toBeGreaterThan(0);
      for (const step of job.steps ?? []) {
        expect(Number(step.uses !== undefined) + Number(step.run !== undefined), JSON.stringify(step)).toBe(1);
        if (step.uses) expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+|[0-9a-f]{40})$/);
      }
    }
  });

  it('uses only contexts GitHub provides', () => {
    const contexts = new Set(['github', 'env', 'vars', 'job', 'runner', 'secrets', 'always', 'failure', 'success', 'cancelled', 'hashFiles']);
    for (const expr of expressions(workflow)) {
      for (const [, word] of expr.matchAll(/(?<![\w.'-])([A-Za-z_][\w-]*)(?=[.(])/g)) expect(contexts, expr).toContain(word);
    }
  });

  it('runs on the same Ubuntu runner image as the e2e workflow', () => {
    const e2eRunners = new Set(Object.values(e2e.jobs).map((job) => job['runs-on']));
    expect([...e2eRunners]).toEqual(['ubuntu-24.04']);
    expect(workflow.jobs.test?.['runs-on']).toBe('ubuntu-24.04');
  });
});

describe('test workflow runs make test as .ci/run does', () => {
  const run = steps.find((s) => s.run?.includes('.ci/run'))?.run ?? '';

  it('checks out, sets up Node, then runs .ci/run in a privileged debian:bookworm container with the checkout mounted', () => {
    const order = steps.map((s) => s.uses ?? s.run ?? '');
    expect(order[0]).toMatch(/^actions\/checkout@/);
    expect(order[1]).toMatch(/^actions\/setup-node@/);
    expect(order.findIndex((s) => s.includes('.ci/run'))).toBe(2);
    expect(run).toMatch(/docker run --rm --privileged/);
    expect(run).toMatch(/debian:bookworm bash \.ci\/run\s*$/);
    expect(run).toContain('"${GITHUB_WORKSPACE}:/src" --workdir /src');
    // .ci/run's own dockerd cannot keep overlay storage on the container's overlay root.
    expect(run).toContain('--volume /var/lib/docker');
  });

  it('puts the mounted Node first on PATH, at a version scripts/ensure-node.sh accepts', () => {
    expect(run).toMatch(/--volume "\$\{node_dir\}:\/opt\/node:ro"/);
    expect(run).toMatch(/--env PATH=\/opt\/node\/bin:/);
    const nodeVersion = Number(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']);
    const floor = /"node": ">=(\d+)\.(\d+)/.exec(read('package.json'));
    expect(floor, 'package.json engines.node is the Node floor').not.toBeNull();
    expect(nodeVersion).toBeGreaterThanOrEqual(Number(floor?.[1]));
  });

  it('relies on .ci/run for make setup, make test and PULLPROOF_REQUIRE_DOCKER=1 (no skipping in CI)', () => {
    const ciRun = read('.ci', 'run');
    expect(ciRun).toContain('export PULLPROOF_REQUIRE_DOCKER=1');
    expect(ciRun).toContain('bash .ci/host-setup.sh');
    expect(ciRun.indexOf('make setup')).toBeLessThan(ciRun.indexOf('make test'));
    expect(ciRun.trimEnd().endsWith('make test')).toBe(true);
  });

  it('uploads the test artifacts and writes a summary even when make test fails', () => {
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.if).toBe('always()');
    expect(upload?.with).toMatchObject({ path: 'artifacts/', overwrite: true });
    expect(String(upload?.with?.name)).not.toMatch(/^e2e-/); // the e2e report job merges e2e-* artifacts
    const summary = steps.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'));
    expect(summary?.if).toBe('always()');
    expect(summary?.run).toContain('scripts/test-summary.mjs artifacts/vitest.json');
    expect(read('Makefile')).toContain('--outputFile.json=artifacts/vitest.json');
  });

  it('gets from .ci/host-setup.sh every host tool the tests call on a clean Debian machine', () => {
    const setup = read('.ci', 'host-setup.sh');
    for (const pkg of ['docker.io', 'containerd', 'kind', 'docker-registry', 'busybox-static', 'mmdebstrap', 'chromium', 'iptables', 'jq', 'make', 'openssl', 'git', 'ca-certificates']) {
      expect(setup, `host-setup installs ${pkg}`).toMatch(new RegExp(`dpkg -s ${pkg.replace('.', '\\.')} >/dev/null 2>&1 \\|\\| want\\+=\\(${pkg.replace('.', '\\.')}[/)]`));
    }
  });
});
