// Types for node-flags.mjs (plain JavaScript, so that the launcher runs on any Node).
export declare const HARNESS_NODE_FLAGS: readonly string[];
export declare function missingHarnessFlags(execArgv: readonly string[], nodeOptions?: string): string[];
