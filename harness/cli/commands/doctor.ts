import type { Command } from 'commander';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check that this machine can run `make e2e`')
    .option('--json', 'print a machine-readable result')
    .option('--k8s <minor>', 'Kubernetes minor whose node image to check')
    .action(() => {
      process.exitCode = 1;
    });
}
