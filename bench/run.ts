/**
 * `make bench`: runs every benchmark area and prints its figures. Figures are for reading and
 * comparing across changes; nothing here passes or fails on a number.
 * `node bench/run.ts [area…]` runs only the named areas.
 */
import type { BenchmarkArea, Figure } from './figures.ts';
import { run as cluster } from './cluster.ts';
import { run as provider } from './provider.ts';
import { run as registry } from './registry.ts';
import { run as scenarios } from './scenarios.ts';

const AREAS: Readonly<Record<string, BenchmarkArea>> = { registry, provider, scenarios, cluster };

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
process.stdout.write(`pullproof bench — Node ${process.version}, ${new Date().toISOString()}\n`);
let failed = false;
for (const [name, area] of Object.entries(AREAS)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n${name}\n`);
  try {
    for (const figure of await area()) process.stdout.write(`${format(figure)}\n`);
  } catch (error) {
    failed = true;
    process.stdout.write(`  could not measure: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
