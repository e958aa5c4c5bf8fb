import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_SCENARIOS } from '../../../scenarios/index.ts';

describe('built-in scenarios', () => {
  it('registers every scenario file exactly once, named after its file', () => {
    const files = readdirSync(join(import.meta.dirname, '..', '..', '..', 'scenarios'))
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(BUILT_IN_SCENARIOS.map((s) => s.name).sort()).toEqual(files);
  });

  it('states the security property each one protects', () => {
    for (const scenario of BUILT_IN_SCENARIOS) expect(scenario.property.length, scenario.name).toBeGreaterThan(40);
  });

  it('gives a reason for every expectation that shallower depths cannot check', () => {
    for (const scenario of BUILT_IN_SCENARIOS) {
      for (const [pod, expectation] of Object.entries(scenario.expect)) {
        if (expectation.depth !== 'plugin') expect(expectation.why, `${scenario.name}/${pod}`).toBeTruthy();
      }
    }
  });

  it('expects pulls, denials and the KEP-2535 hole across the suite', () => {
    const fates = BUILT_IN_SCENARIOS.flatMap((s) => Object.values(s.expect).map((e) => (typeof e.fate === 'string' ? e.fate : 'denied')));
    expect(fates).toContain('pulled');
    expect(fates).toContain('denied');
    expect(fates).toContain('vulnerable-if-gate-off');
  });
});
