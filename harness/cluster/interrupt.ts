/**
 * Ctrl-C for the lifecycle: the first SIGINT/SIGTERM aborts the AbortSignal, so the running step
 * stops and everything created so far is removed; a second one exits at once (130) for a user who
 * does not want to wait for cleanup.
 */
export interface Interrupt {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function abortOnInterrupt(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Interrupt {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log(`${name} again: exiting without cleanup`);
      process.exit(130);
    }
    log(`${name}: stopping and removing what was created (press Ctrl-C again to exit at once)`);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); },
  };
}
