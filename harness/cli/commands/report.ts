import { BUILT_IN_SCENARIOS } from '../../../scenarios/index.ts';
import type { Command } from 'commander';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { runFailed, type RunResults } from '../../results/model.ts';
import { mergeResults, missingShards } from '../../results/merge.ts';
import { redactResults } from '../../results/redact.ts';
import { RESULTS_FILE_NAME, readResults, writeResults } from '../../results/results-file.ts';
import { ARTIFACTS_OPTION, artifactsRoot, writeRunArtifacts } from '../../report/artifacts.ts';
import { renderHtmlReport } from '../../report/html.ts';
import { renderJUnit } from '../../report/junit.ts';
import { renderTerminalTable } from '../../report/terminal-table.ts';

/**
 * `pullproof report merge|render|summary`: everything that turns results.json files into what
 * people read. Exit codes: 0 = the run passed, 1 = the run failed (mismatch or inconclusive),
 * 2 = the command itself could not do its job (bad input; main.ts prints the error).
 */

export class ReportInputError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ReportInputError';
    this.path = path;
  }
}

/** Every results.json under the given files or directories (CI downloads one folder per shard). */
export async function findResultsFiles(paths: readonly string[], exclude?: string): Promise<string[]> {
  const found: string[] = [];
  const skip = exclude === undefined ? undefined : resolve(exclude);
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new ReportInputError(path, 'does not exist: pass the directories the shard artifacts were downloaded to');
    }
    if (info.isFile()) {
      found.push(path);
      continue;
    }
    const entries = (await readdir(path, { recursive: true })).filter((entry) => basename(entry) === RESULTS_FILE_NAME).sort();
    const files = entries.map((entry) => join(path, entry)).filter((file) => !skip || !(resolve(file) + sep).startsWith(skip + sep));
    if (files.length === 0) throw new ReportInputError(path, `holds no ${RESULTS_FILE_NAME}: did the shard jobs upload their artifacts?`);
    found.push(...files);
  }
  return [...new Set(found)];
}

async function writeOutputs(results: RunResults, out: string): Promise<void> {
  const safe = redactResults(results);
  await mkdir(out, { recursive: true });
  await writeResults(safe, join(out, RESULTS_FILE_NAME));
  await writeFile(join(out, 'junit.xml'), renderJUnit(safe), 'utf8');
  await writeFile(join(out, 'report.html'), renderHtmlReport(safe), 'utf8');
}

function printSummary(results: RunResults, color: boolean | undefined): void {
  process.stdout.write(renderTerminalTable(results, { color: color ?? (process.stdout.isTTY && !process.env.NO_COLOR) }));
  process.exitCode = runFailed(results) ? 1 : 0;
}

interface MergeOptions {
  readonly out: string;
  readonly allowPartial?: boolean;
  readonly color?: boolean;
}

export function registerReport(program: Command): void {
  const report = program.command('report').description('merge, render and summarise results.json files');

  report
    .command('merge')
    .description('merge shard results (directories are searched for results.json) into one results.json, junit.xml and report.html')
    .argument('<paths...>', 'results.json files or directories holding them')
    .option('--out <dir>', 'where to write the merged results.json, junit.xml and report.html', 'artifacts/merged')
    .option('--allow-partial', 'merge even when some CI shards of a version are missing')
    .option('--no-color', 'plain summary even on a terminal')
    .action(async (paths: string[], options: MergeOptions) => {
      const files = await findResultsFiles(paths, options.out);
      const inputs = await Promise.all(files.map(async (file) => ({ results: await readResults(file), source: relative(process.cwd(), file) || file })));
      const gaps = missingShards(inputs.map((i) => i.results));
      if (gaps.length && !options.allowPartial) {
        const detail = gaps.map((g) => `Kubernetes ${g.kubernetes}: shard ${g.missing.join(', ')} of ${g.total}`).join('; ');
        throw new ReportInputError(paths.join(' '), `results are missing for ${detail}: find the failed job's logs, or pass --allow-partial to merge what is there`);
      }
      // The built-in suite's own order (scenarios/index.ts); scenarios it does not know sort by name after it.
      const merged = mergeResults(inputs, BUILT_IN_SCENARIOS.map((s) => s.name));
      await writeOutputs(merged, options.out);
      process.stderr.write(`merged ${files.length} results files into ${join(options.out, RESULTS_FILE_NAME)}, junit.xml and report.html\n`);
      printSummary(merged, options.color === false ? false : undefined);
    });

  report
    .command('render')
    .description('write junit.xml and report.html for a results.json (or, with --artifacts, the whole artifacts/<run-id>/ layout)')
    .argument('<results.json>')
    .option('--out <dir>', 'output directory (default: next to the results file)')
    .option(...ARTIFACTS_OPTION)
    .action(async (file: string, options: { out?: string; artifacts?: string }) => {
      const results = await readResults(file);
      if (options.artifacts !== undefined) {
        const paths = await writeRunArtifacts(results, { root: artifactsRoot(options.artifacts) });
        process.stderr.write(`wrote ${paths.results}, ${paths.junit} and ${paths.html}\n`);
        return;
      }
      const out = options.out ?? join(file, '..');
      await mkdir(out, { recursive: true });
      const safe = redactResults(results);
      await writeFile(join(out, 'junit.xml'), renderJUnit(safe), 'utf8');
      await writeFile(join(out, 'report.html'), renderHtmlReport(safe), 'utf8');
      process.stderr.write(`wrote ${join(out, 'junit.xml')} and ${join(out, 'report.html')}\n`);
    });

  report
    .command('summary')
    .description('print the terminal summary table of a results.json; exit 1 when the run failed')
    .argument('<results.json>')
    .option('--color', 'colour even when stdout is not a terminal')
    .option('--no-color', 'never colour')
    .action(async (file: string, options: { color?: boolean }) => {
      printSummary(await readResults(file), options.color);
    });
}
