/**
 * `make bench`: runs every benchmark area, prints its figures and writes them to
 * artifacts/bench.json (so a change can be compared with the figures before it). Figures are for
 * reading and comparing; nothing here passes or fails on a number.
 * `node bench/run.ts [area…]` runs only the named areas.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { BenchmarkArea, Figure } from './figures.ts';
import { run as cluster } from './cluster.ts';
import { run as provider } from './provider.ts';
import { run as registry } from './registry.ts';
import { run as scenarios } from './scenarios.ts';
import { run as tokenService } from './token-service.ts';

const AREAS: Readonly<Record<string, BenchmarkArea>> = { 'token-service': tokenService, registry, provider, scenarios, cluster };

function format(figure: Figure): string {
  const value = Number.isFinite(figure.value) ? (Math.abs(figure.value) >= 100 ? figure.value.toFixed(0) : figure.value.toPrecision(3)) : 'n/a';
  return `  ${figure.name.padEnd(64)} ${value.padStart(10)} ${figure.unit}${figure.note ? `   (${figure.note})` : ''}`;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((a) => !(a in AREAS));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown area(s) ${unknown.join(', ')}; known: ${Object.keys(AREAS).join(', ')}\n`);
  process.exit(2);
}
const startedAt = new Date().toISOString();
process.stdout.write(`pullproof bench — Node ${process.version}, ${cpus().length} CPUs, ${startedAt}\n`);
let failed = false;
const report: { node: string; cpus: number; startedAt: string; areas: Record<string, { figures: Figure[]; error?: string }> } = { node: process.version, cpus: cpus().length, startedAt, areas: {} };
for (const [name, area] of Object.entries(AREAS)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n${name}\n`);
  try {
    const figures = [...(await area())];
    for (const figure of figures) process.stdout.write(`${format(figure)}\n`);
    report.areas[name] = { figures };
  } catch (error) {
    failed = true;
    const message = error instanceof Error ? error.message : String(error);
    process.stdout.write(`  could not measure: ${message}\n`);
    report.areas[name] = { figures: [], error: message };
  }
}
await mkdir('artifacts', { recursive: true });
// NaN (a skipped figure) becomes null in JSON.
await writeFile('artifacts/bench.json', `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nfigures written to artifacts/bench.json\n`);
process.exitCode = failed ? 1 : 0;
