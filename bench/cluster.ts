import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kindExportLogs } from '../harness/cluster/kind-cli.ts';
import { createCluster, newClusterName } from '../harness/cluster/lifecycle.ts';
import { ensureStandinNodeImage } from '../harness/cluster/standin-image.ts';
import { kubernetesVersion } from '../harness/cluster/versions.ts';
import { percentile, type Figure } from './figures.ts';

/**
 * Cluster lifecycle benchmarks on the stand-in node (real kind binary, no Kubernetes): what the
 * stand-in tier pays per cluster. Bounded: one image check/build and ROUNDS create/delete cycles.
 */

const ROUNDS = 3;

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  let started = performance.now();
  const image = await ensureStandinNodeImage();
  figures.push({ name: 'stand-in node image: ensure (build only when the recipe changed)', value: (performance.now() - started) / 1000, unit: 's', note: image });

  const creates: number[] = [];
  const deletes: number[] = [];
  let exportSeconds = Number.NaN;
  for (let i = 0; i < ROUNDS; i++) {
    const workDir = await mkdtemp(join(tmpdir(), 'pullproof-bench-cluster-'));
    try {
      started = performance.now();
      const cluster = await createCluster({
        name: newClusterName('bench'), version: kubernetesVersion('1.35'), workDir, impersonateRelease: true, waitSeconds: 30,
        needs: { workers: 1, nodeImage: image },
        providers: [{ name: 'bench', matchImages: ['bench.invalid'], defaultCacheDuration: '0s' }],
      }, {
        writeProviderBundle: async (dir) => {
          await mkdir(join(dir, 'bin'), { recursive: true });
          await writeFile(join(dir, 'bin', 'bench'), '#!/bin/sh\n');
          await chmod(join(dir, 'bin', 'bench'), 0o755);
        },
      });
      creates.push((performance.now() - started) / 1000);
      if (i === 0) {
        started = performance.now();
        await kindExportLogs(cluster.name, join(workDir, 'logs'));
        exportSeconds = (performance.now() - started) / 1000;
      }
      started = performance.now();
      await cluster.delete();
      deletes.push((performance.now() - started) / 1000);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }
  figures.push(
    { name: 'create (control plane + 1 worker, all lifecycle steps) p50', value: percentile(creates, 50), unit: 's', note: `${ROUNDS} rounds, max ${Math.max(...creates).toFixed(2)} s` },
    { name: 'delete (kind delete + residue check + network) p50', value: percentile(deletes, 50), unit: 's', note: `${ROUNDS} rounds` },
    { name: 'kind export logs (2 nodes)', value: exportSeconds, unit: 's' },
  );
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await run()) process.stdout.write(`${f.name}: ${f.value.toFixed(2)} ${f.unit}${f.note ? ` (${f.note})` : ''}\n`);
}
