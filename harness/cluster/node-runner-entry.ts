// Entry point bundled (esbuild) into one file and run *inside* a kind node by the node's own
// bundled Node runtime: the kubelet-exact conformance runner, nothing else of the CLI.
import { Command } from 'commander';
import { registerConformance } from '../cli/commands/conformance.ts';

const program = new Command('pullproof-node');
registerConformance(program);
await program.parseAsync(process.argv);
