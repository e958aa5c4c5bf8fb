// Produces fixtures/results/recorded/ from real runs of this project, so that no results fixture is
// called "recorded" unless this script made it:
//   node scripts/make-fixtures.ts [--depth plugin,node] [--k8s 1.34,1.37] [--shards 2]
// For each depth and minor it runs the built-in scenarios once unsharded (runSuite, exactly what
// `pullproof run --depth <d>` does) and once per shard of the CI shard plan (planMatrix, as
// `pullproof matrix` does), and writes each run's results.json (already redacted by the runner's
// writer) as <depth>-<minor>.json and <depth>-<minor>-shard-<i>-of-<n>.json, plus MANIFEST.json naming
// how each file was made (depth, minor, shard, command, git commit, date).
// Needs what `make test` needs: Docker, containerd, and for node depth the stand-in node image.
// Cluster depth (kindest/node) is not offered: it has never run where this project is developed.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kubernetesVersion } from '../harness/cluster/versions.ts';
import { parseResults } from '../harness/results/results-file.ts';
import { planMatrix } from '../harness/results/shard-plan.ts';
import { runSuite, selectScenarios } from '../harness/runner/suite.ts';
import { BUILT_IN_SCENARIOS } from '../scenarios/index.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'fixtures', 'results', 'recorded');

const { values } = parseArgs({
  options: {
    depth: { type: 'string', default: 'plugin,node' },
    k8s: { type: 'string', default: '1.34,1.37' },
    shards: { type: 'string', default: '2' },
  },
});
const depths = (values.depth ?? '').split(',').filter(Boolean);
for (const depth of depths) if (depth !== 'plugin' && depth !== 'node') throw new Error(`--depth ${depth}: only plugin and node depth can be recorded here (cluster depth needs kindest/node)`);
const minors = (values.k8s ?? '').split(',').filter(Boolean);
const shards = Number(values.shards);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();

interface ManifestEntry {
  readonly file: string;
  readonly depth: string;
  readonly kubernetes: string;
  readonly shard?: string;
  readonly scenarios: readonly string[];
  readonly madeBy: string;
  readonly commit: string;
  readonly date: string;
}

const manifest: ManifestEntry[] = [];
const work = join(ROOT, '.cache', 'make-fixtures');
await mkdir(OUT, { recursive: true });

async function record(file: string, depth: 'plugin' | 'node', minor: string, scenarioNames: readonly string[], shard?: { index: number; total: number }): Promise<void> {
  const runId = `fixtures-${depth}-${minor.replace('.', '')}${shard ? `-s${shard.index}of${shard.total}` : ''}-${commit}`;
  const artifactsDir = join(work, runId);
  await rm(artifactsDir, { recursive: true, force: true });
  const started = Date.now();
  process.stderr.write(`make-fixtures: ${depth} depth, Kubernetes ${minor}${shard ? `, shard ${shard.index}/${shard.total}` : ''}: ${scenarioNames.join(', ')}\n`);
  const results = await runSuite({
    depth,
    versions: [kubernetesVersion(minor)],
    scenarios: selectScenarios(BUILT_IN_SCENARIOS, [...scenarioNames]),
    runId,
    artifactsDir,
    ...(shard ? { shard } : {}),
    log: (line) => process.stderr.write(`  ${line}\n`),
  });
  // What the runner wrote is what CI uploads: read it back rather than serialising again.
  const { writeRunArtifacts } = await import('../harness/report/artifacts.ts');
  const paths = await writeRunArtifacts(results, { root: artifactsDir, audit: [] });
  const text = await readFile(paths.results, 'utf8');
  parseResults(text, paths.results);
  await writeFile(join(OUT, file), text);
  manifest.push({
    file,
    depth,
    kubernetes: minor,
    ...(shard ? { shard: `${shard.index}/${shard.total}` } : {}),
    scenarios: scenarioNames,
    madeBy: `node scripts/make-fixtures.ts --depth ${depth} --k8s ${minor} --shards ${shards} (runSuite, ${Math.round((Date.now() - started) / 1000)} s)`,
    commit,
    date: new Date().toISOString(),
  });
}

const all = BUILT_IN_SCENARIOS.map((s) => s.name);
for (const depth of depths as ('plugin' | 'node')[]) {
  for (const minor of minors) {
    await record(`${depth}-${minor}.json`, depth, minor, all);
    const plan = planMatrix({ versions: [minor], scenarios: all, shards });
    for (const entry of plan.include) {
      await record(`${depth}-${minor}-shard-${entry.shard}-of-${entry.shards}.json`, depth, minor, entry.scenarios.split(','), { index: entry.shard, total: entry.shards });
    }
  }
}
await writeFile(join(OUT, 'MANIFEST.json'), `${JSON.stringify({ about: 'Real results of this project, made by scripts/make-fixtures.ts; regenerate with it, never edit by hand.', files: manifest }, null, 2)}\n`);
process.stderr.write(`make-fixtures: wrote ${manifest.length} file(s) and MANIFEST.json to ${OUT}\n`);
