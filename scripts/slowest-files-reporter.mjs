// A vitest reporter that prints where `make test` spends its time: the slowest test files, each
// with its hooks (a stand-in cluster is created in beforeAll), and the integration project's total
// (its files run one at a time, so their durations add up to its wall time).
export default class SlowestFilesReporter {
  onTestRunEnd(testModules) {
    const files = testModules
      .map((m) => ({ name: m.relativeModuleId ?? m.moduleId, project: m.project?.name ?? '', seconds: (m.diagnostic().duration ?? 0) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds);
    if (files.length === 0) return;
    const integration = files.filter((f) => f.project === 'integration').reduce((sum, f) => sum + f.seconds, 0);
    const lines = files.slice(0, 8).map((f) => `  ${f.seconds.toFixed(1).padStart(7)} s  ${f.name}`);
    process.stdout.write(`\nwhere the time went (slowest test files, hooks included; integration files in all: ${integration.toFixed(0)} s):\n${lines.join('\n')}\n`);
  }
}
