import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Scenario names for planning, until the scenario registry exists: one scenario per
 * `scenarios/<name>.ts` file (DESIGN.md: "one file each"). Index and declaration files are not
 * scenarios. The scenario engineer replaces this with the registry's names.
 */

export const DEFAULT_SCENARIOS_DIR = join(import.meta.dirname, '..', '..', 'scenarios');

export async function scenarioNamesFromDir(dir: string = DEFAULT_SCENARIOS_DIR): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    throw new Error(`cannot list scenarios in ${dir} (${error instanceof Error ? error.message : String(error)}): pass --scenarios a,b or --scenarios-dir`, { cause: error });
  }
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts') && f !== 'index.ts' && !f.startsWith('_'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}
