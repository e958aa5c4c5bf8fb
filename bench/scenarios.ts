import { kubernetesVersion } from '../harness/cluster/versions.ts';
import { runAtPluginDepth } from '../harness/runner/plugin-depth.ts';
import { BUILT_IN_SCENARIOS } from '../scenarios/index.ts';
import type { Figure } from './figures.ts';

/** Wall time of the whole built-in suite at plugin depth (registry start, image push, every pod). */
export async function run(): Promise<Figure[]> {
  const started = performance.now();
  const result = await runAtPluginDepth({ scenarios: BUILT_IN_SCENARIOS, kubernetes: kubernetesVersion('1.34') });
  const seconds = (performance.now() - started) / 1000;
  const pods = result.scenarios.flatMap((s) => s.pods).filter((p) => p.verdict).length;
  return [
    { name: 'plugin-depth suite, all built-in scenarios (1.34)', value: seconds, unit: 's', note: `${pods} pods pulled or denied through real containerd` },
    { name: 'plugin-depth time per checked pod', value: seconds / Math.max(1, pods), unit: 's' },
  ];
}
