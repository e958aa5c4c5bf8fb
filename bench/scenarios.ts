import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubernetesVersion, type KubernetesMinor } from '../harness/cluster/versions.ts';
import type { VersionResult } from '../harness/results/model.ts';
import { newRunId } from '../harness/runner/instantiate.ts';
import { runAtPluginDepth } from '../harness/runner/plugin-depth.ts';
import { runSuite } from '../harness/runner/suite.ts';
import { BUILT_IN_SCENARIOS } from '../scenarios/index.ts';
import type { Figure } from './figures.ts';

/**
 * Wall time of the whole built-in suite: at plugin depth, and per minor through the cluster runner on
 * a stand-in cluster (setup, image push, cluster create, every pod, teardown; images already built).
 */
export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const checkedPods = (result: VersionResult): number => result.scenarios.flatMap((s) => s.pods).filter((p) => p.verdict).length;

  const started = performance.now();
  const plugin = await runAtPluginDepth({ scenarios: BUILT_IN_SCENARIOS, kubernetes: kubernetesVersion('1.34') });
  const pluginSeconds = (performance.now() - started) / 1000;
  figures.push({ name: `plugin-depth suite, all built-in scenarios (${plugin.kubernetes})`, value: pluginSeconds, unit: 's', note: `${checkedPods(plugin)} pods pulled or denied through real containerd` });

  for (const minor of ['1.34', '1.37'] as const satisfies readonly KubernetesMinor[]) {
    const artifacts = await mkdtemp(join(tmpdir(), 'pullproof-bench-'));
    const lines: { at: number; line: string }[] = [];
    const t0 = performance.now();
    try {
      const results = await runSuite({
        depth: 'node', versions: [kubernetesVersion(minor)], scenarios: BUILT_IN_SCENARIOS, runId: newRunId(), artifactsDir: artifacts,
        log: (line) => lines.push({ at: performance.now(), line }),
      });
      const seconds = (performance.now() - t0) / 1000;
      const version = results.versions[0];
      const firstVerdict = lines.find((l) => /^ {2}\S+: .*=(match|mismatch|inconclusive)/.test(l.line));
      const created = lines.map((l) => /(\d+) cluster\(s\) created/.exec(l.line)?.[1]).find(Boolean);
      figures.push({ name: `node-depth suite on a stand-in cluster, Kubernetes ${minor}`, value: seconds, unit: 's', note: `goal ≤ 60 s; ${version ? checkedPods(version) : 0} pods through the cluster runner` });
      figures.push({ name: `clusters created for Kubernetes ${minor}`, value: Number(created ?? 0), unit: 'clusters' });
      if (firstVerdict) figures.push({ name: `time to first scenario verdict, Kubernetes ${minor}`, value: (firstVerdict.at - t0) / 1000, unit: 's' });
    } finally {
      await rm(artifacts, { recursive: true, force: true });
    }
  }
  return figures;
}
