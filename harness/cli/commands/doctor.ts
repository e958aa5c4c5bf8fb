import type { Command } from 'commander';
import { judge } from '../../doctor/checks.ts';
import { formatReport } from '../../doctor/format.ts';
import { gatherFacts } from '../../doctor/probe.ts';
import { DEFAULT_MINOR, kubernetesVersion, withNodeImage } from '../../cluster/versions.ts';

interface DoctorOptions {
  readonly json?: boolean;
  readonly k8s: string;
  readonly nodeImage?: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check that this machine can run `make e2e`; exit code 0 only when it can')
    .option('--json', 'print the result as JSON (machine-readable)')
    .option('--k8s <minor>', 'Kubernetes minor whose node image and requirements to check', DEFAULT_MINOR)
    .option('--node-image <ref>', 'node image to check instead of the pinned one (default: $PULLPROOF_NODE_IMAGE)')
    .action(async (options: DoctorOptions) => {
      const kubernetes = withNodeImage(kubernetesVersion(options.k8s), options.nodeImage ?? process.env.PULLPROOF_NODE_IMAGE);
      const report = judge(await gatherFacts(kubernetes), kubernetes);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, process.stdout.isTTY));
      process.exitCode = report.ok ? 0 : 1;
    });
}
