import { loadScenarioFiles } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { selectScenarios } from '../runner/suite.ts';
import { BUILT_IN_SCENARIOS } from '../../scenarios/index.ts';
import { logLine } from './suite-run.ts';

/**
 * Which scenarios a command runs: the built-in suite, scenario files and directories named on the
 * command line (instead of it, or alongside with --with-built-in), narrowed by --scenario. A file
 * that cannot be loaded is reported with its path and field and never stops the others.
 */
export interface ScenarioChoice {
  readonly scenarios: Scenario[];
  readonly sources: Map<string, string>;
  readonly errors: readonly { readonly file: string; readonly message: string }[];
}

export async function chooseScenarios(paths: readonly string[], options: { withBuiltIn?: boolean; names?: readonly string[] }): Promise<ScenarioChoice> {
  const loaded = paths.length > 0 ? await loadScenarioFiles(paths) : { scenarios: [], errors: [] };
  for (const error of loaded.errors) logLine(`pullproof: scenario file ${error.file}: ${error.message}`);
  const fromFiles = loaded.scenarios.map((l) => l.scenario);
  const builtIn = paths.length === 0 || options.withBuiltIn ? BUILT_IN_SCENARIOS.filter((s) => !fromFiles.some((f) => f.name === s.name)) : [];
  const all = [...builtIn, ...fromFiles];
  return {
    scenarios: selectScenarios(all, options.names),
    sources: new Map(loaded.scenarios.map((l) => [l.scenario.name, l.source])),
    errors: loaded.errors,
  };
}
