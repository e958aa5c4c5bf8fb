import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect } from 'vitest';

export const GOLDEN_DIR = new URL('../../../fixtures/kind-golden/', import.meta.url).pathname;

/**
 * Compares against a reviewed golden file. PULLPROOF_UPDATE_GOLDEN=1 rewrites it instead (then
 * review the diff before committing); a missing golden file is a failure, never a silent pass.
 */
export function expectGolden(name: string, actual: string): void {
  const path = `${GOLDEN_DIR}${name}`;
  if (process.env.PULLPROOF_UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`golden file ${path} is missing: run with PULLPROOF_UPDATE_GOLDEN=1, review it, commit it`);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
