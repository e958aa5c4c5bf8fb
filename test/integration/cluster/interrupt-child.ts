// Child process for the Ctrl-C test: creates a stand-in cluster under abortOnInterrupt and reports
// how it ended. argv: <node image> <cluster name> <work dir>
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClusterAbortedError } from '../../../harness/cluster/errors.ts';
import { abortOnInterrupt } from '../../../harness/cluster/interrupt.ts';
import { createCluster } from '../../../harness/cluster/lifecycle.ts';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';

const [image = '', name = '', workDir = ''] = process.argv.slice(2);
const interrupt = abortOnInterrupt();
try {
  const cluster = await createCluster({
    name, version: kubernetesVersion('1.36'), workDir, impersonateRelease: true, waitSeconds: 30,
    needs: { workers: 1, nodeImage: image },
    providers: [{ name: 'p', matchImages: ['x.invalid'], defaultCacheDuration: '0s' }],
  }, {
    writeProviderBundle: async (dir) => { await mkdir(join(dir, 'bin'), { recursive: true }); await writeFile(join(dir, 'bin', 'p'), ''); },
  }, { signal: interrupt.signal, log: (l) => process.stdout.write(`${l}\n`) });
  process.stdout.write('RESULT created\n');
  await cluster.delete();
  process.exitCode = 0;
} catch (error) {
  process.stdout.write(`RESULT ${error instanceof ClusterAbortedError ? `aborted ${error.step}` : `failed ${String(error)}`}\n`);
  process.exitCode = error instanceof ClusterAbortedError ? 130 : 1;
} finally {
  interrupt.dispose();
}
