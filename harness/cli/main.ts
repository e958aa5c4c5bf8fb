import { Command } from 'commander';
import { registerDoctor } from './commands/doctor.ts';
import { registerRun } from './commands/run.ts';
import { registerMatrix } from './commands/matrix.ts';
import { registerReport } from './commands/report.ts';
import { registerConformance } from './commands/conformance.ts';
import { registerSweep } from './commands/sweep.ts';

// testcontainers' Ryuk reaper would pull its image from Docker Hub at the first container start.
// pullproof removes everything it creates itself (normal end, failure and Ctrl-C are tested), so it
// decides this for the user instead of requiring TESTCONTAINERS_RYUK_DISABLED in their shell; an
// explicit setting still wins. Read by testcontainers when it starts its first container.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

// Each command lives in commands/<name>.ts and registers itself; this file only assembles them.
const program = new Command('pullproof')
  .description('Proves which pods can pull which private images under which service accounts (KEP-4412, KEP-2535).')
  .showHelpAfterError();

registerDoctor(program);
registerRun(program);
registerMatrix(program);
registerReport(program);
registerConformance(program);
registerSweep(program);

// Errors reach the person at the terminal as one line (our error classes already say what to do);
// the stack only with PULLPROOF_DEBUG=1.
try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`pullproof: ${message}\n`);
  if (process.env.PULLPROOF_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  process.exitCode = 2;
}
