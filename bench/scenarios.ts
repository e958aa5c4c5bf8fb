import { kubernetesVersion } from '../harness/cluster/versions.ts';
import type { VersionResult } from '../harness/results/model.ts';
import { newRunId } from '../harness/runner/instantiate.ts';
import { runAtNodeDepth } from '../harness/runner/node-depth.ts';
import { runAtPluginDepth } from '../harness/runner/plugin-depth.ts';
import { BUILT_IN_SCENARIOS } from '../scenarios/index.ts';
import type { Figure } from './figures.ts';

/** Wall time of the whole built-in suite at plugin and node depth (setup, image push, every pod, teardown). */
export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const measure = async (depth: string, once: () => Promise<VersionResult>): Promise<void> => {
    const started = performance.now();
    const result = await once();
    const seconds = (performance.now() - started) / 1000;
    const pods = result.scenarios.flatMap((s) => s.pods).filter((p) => p.verdict).length;
    figures.push({ name: `${depth}-depth suite, all built-in scenarios (${result.kubernetes})`, value: seconds, unit: 's', note: `${pods} pods pulled or denied through real containerd` });
    figures.push({ name: `${depth}-depth time per checked pod`, value: seconds / Math.max(1, pods), unit: 's' });
  };
  await measure('plugin', () => runAtPluginDepth({ scenarios: BUILT_IN_SCENARIOS, kubernetes: kubernetesVersion('1.34') }));
  // Includes creating and deleting the stand-in kind cluster (image cached).
  await measure('node', () => runAtNodeDepth({ scenarios: BUILT_IN_SCENARIOS, kubernetes: kubernetesVersion('1.35'), runId: newRunId() }));
  return figures;
}
