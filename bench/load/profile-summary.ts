import { readFileSync } from 'node:fs';

/**
 * Self time per function from a V8 `.cpuprofile` (what `node --cpu-prof` writes): the flat view of
 * a flame graph, enough to see where a request's time goes without a browser.
 * `node bench/load/profile-summary.ts <file.cpuprofile> [top]`.
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly frame: string;
  readonly percent: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\/.*?\/(node_modules|registry|bench)\//, '$1/').replace(/^node:/, 'node:');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

export function selfTimes(profile: CpuProfile, top = 25): SelfTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[index] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') return;
    all += delta;
    const name = frameName(node);
    totals.set(name, (totals.get(name) ?? 0) + delta);
  });
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, time]) => ({ frame, percent: (100 * time) / all }));
}

if (import.meta.main) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/load/profile-summary.ts <file.cpuprofile> [top]');
  for (const { frame, percent } of selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 25))) {
    process.stdout.write(`${percent.toFixed(1).padStart(5)} %  ${frame}\n`);
  }
}
