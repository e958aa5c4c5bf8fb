import { Command } from 'commander';
import { registerDoctor } from './commands/doctor.ts';
import { registerRun } from './commands/run.ts';

// Each command lives in commands/<name>.ts and registers itself; this file only assembles them.
const program = new Command('pullproof')
  .description('Proves which pods can pull which private images under which service accounts (KEP-4412, KEP-2535).')
  .showHelpAfterError();

registerDoctor(program);
registerRun(program);

await program.parseAsync(process.argv);
