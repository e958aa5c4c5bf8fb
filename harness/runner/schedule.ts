/**
 * Runs tasks with at most `limit` in flight. Used for scenarios (in parallel) and for the pods of
 * one scenario (each waits for the pod named in `after`, which the scenario guarantees came first).
 */
export async function runLimited<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Runs the pods of a scenario: a pod with `after` starts when that pod has finished; the others start
 * at once. Returns results in declaration order.
 */
export async function runPods<P extends { readonly name: string; readonly after?: string }, R>(pods: readonly P[], run: (pod: P) => Promise<R>): Promise<R[]> {
  const done = new Map<string, Promise<R>>();
  for (const pod of pods) {
    const before = pod.after ? done.get(pod.after) : undefined;
    done.set(pod.name, (before ?? Promise.resolve()).then(() => run(pod)));
  }
  return Promise.all(pods.map((p) => done.get(p.name) as Promise<R>));
}
