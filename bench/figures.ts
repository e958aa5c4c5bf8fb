/** One printed benchmark figure. Benchmarks report numbers; they never pass or fail on them. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

/** A benchmark area (`bench/<area>.ts`) exports `run`, which returns its figures. */
export type BenchmarkArea = () => Promise<readonly Figure[]>;

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
