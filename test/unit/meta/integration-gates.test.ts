import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * CI must never go green by skipping. An integration suite that needs something (the Docker engine,
 * a containerd socket, openssl, chromium) goes through `describeWithDocker` or `describeWhenPresent`
 * (test/support/docker.ts), which skip with the reason locally and fail under
 * PULLPROOF_REQUIRE_DOCKER=1 (.ci/run). A hand-rolled `describe.skip` would skip in CI too.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const INTEGRATION = join(ROOT, 'test', 'integration');
/** Suites that need nothing but Node (in-process HTTP on loopback): no gate at all. */
const UNGATED = new Set(['test/integration/registry/token-endpoint.test.ts']);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(ROOT, path)] : [];
  });
}

describe('integration suites cannot skip silently', () => {
  const files = testFiles(INTEGRATION);

  it('finds the integration suites', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s skips only through the gates PULLPROOF_REQUIRE_DOCKER=1 turns into failures', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(text, 'a hand-rolled skip').not.toMatch(/\b(describe|it|test|suite)\.(skip|skipIf|runIf)\b|\bctx\.skip\(|context\.skip\(/);
    if (UNGATED.has(file)) return;
    expect(text, 'no gate: use describeWithDocker or describeWhenPresent from test/support/docker.ts').toMatch(/\b(describeWithDocker|describeWhenPresent)\(/);
  });
});
