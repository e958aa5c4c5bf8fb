// Node flags the pullproof process runs with: bin/pullproof.mjs applies them to itself, and the
// token-service bench (bench/load/processes.ts) starts its servers with the same ones, so the
// memory it measures is the memory a run has.
//
// --max-semi-space-size=8 (MiB): V8 sizes the young generation from the machine's memory (64 MiB
// per semi-space on a 24 GB machine) and grows it while a process allocates fast; only a
// memory-reducing GC gives it back, and an idle process runs none. The token service runs inside
// this process (DESIGN.md decision 2). `make bench`, 15 s at 1,000 req/s then 20 s idle, quiet
// machine: without the cap new space grew 32 → 128 MiB and RSS stayed 73 MiB above its start, p99
// 60 ms; with it RSS +23–26 MiB over three runs, p99 8–9 ms in two of them (38 ms in one).
// Throughput differences were within the bench's noise. Later the audit kept its lines off the V8
// heap: with the cap, RSS +8.3 MiB (15 s phases) and +6.5 MiB (BENCH_LONG=1, 60 s phases).
export const HARNESS_NODE_FLAGS = ['--max-semi-space-size=8'];

/** The flags of HARNESS_NODE_FLAGS that neither the command line nor NODE_OPTIONS set (a user's own value wins). */
export function missingHarnessFlags(execArgv, nodeOptions = '') {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((flag) => flag.split('=')[0].replaceAll('_', '-'));
  return HARNESS_NODE_FLAGS.filter((flag) => !given.includes(flag.split('=')[0]));
}
