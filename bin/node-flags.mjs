// Node flags the pullproof process runs with: bin/pullproof.mjs applies them to itself, and the
// token-service bench (bench/load/processes.ts) starts its servers with the same ones, so the
// memory it measures is the memory a run has.
//
// --max-semi-space-size=8 (MiB): V8 sizes the young generation from the machine's memory (64 MiB
// per semi-space on a 24 GB machine) and grows it while a process allocates fast; only a
// memory-reducing GC gives it back, and an idle process runs none. The token service runs inside
// this process (DESIGN.md decision 2), so under a 1,000 req/s load the young generation alone kept
// ~100 MiB of RSS after the load ended (`make bench`: new space 32 → 128 MiB, RSS +73 MiB), and
// scavenging 64 MiB semi-spaces cost 60 ms at p99. Capped at 8 MiB: RSS +23 MiB, p99 9 ms, the
// same throughput within the bench's noise.
export const HARNESS_NODE_FLAGS = ['--max-semi-space-size=8'];

/** The flags of HARNESS_NODE_FLAGS that neither the command line nor NODE_OPTIONS set (a user's own value wins). */
export function missingHarnessFlags(execArgv, nodeOptions = '') {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((flag) => flag.split('=')[0].replaceAll('_', '-'));
  return HARNESS_NODE_FLAGS.filter((flag) => !given.includes(flag.split('=')[0]));
}
