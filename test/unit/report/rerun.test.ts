import { describe, expect, it } from 'vitest';
import { rerunCommand, shellQuote } from '../../../harness/results/rerun.ts';

describe('rerun commands', () => {
  it('names the scenario, version and depth of a built-in scenario', () => {
    expect(rerunCommand({ scenario: 'granted-sa-pulls', depth: 'node', kubernetes: '1.34' }, { sources: new Map() })).toBe('npx pullproof run --depth node --k8s 1.34 --scenario granted-sa-pulls');
  });

  it('names the file, node image and plugin, and leaves --k8s out when the version came from the image', () => {
    const command = rerunCommand(
      { scenario: 'my-regression', depth: 'cluster', kubernetes: '1.37' },
      { sources: new Map([['my-regression', './repro/my regression.ts']]), nodeImage: 'kindest/node:latest', versionFromImage: true, plugin: './bin/my-plugin' },
    );
    expect(command).toBe("npx pullproof run './repro/my regression.ts' --depth cluster --scenario my-regression --node-image kindest/node:latest --plugin ./bin/my-plugin");
  });

  it("quotes for a POSIX shell, embedded quotes included", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
