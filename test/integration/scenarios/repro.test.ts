import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStandinNodeImage } from '../../../harness/cluster/standin-image.ts';
import type { RunResults } from '../../../harness/results/model.ts';
import { describeWithDocker } from '../../support/docker.ts';

/**
 * Reproducing a regression as a user outside this repository does (issue 12): scenario files in a
 * temporary directory, scripted steps, a plugin that is not ours, a rerun command taken from the
 * results, a registry killed mid-run, and a node image of an unreleased Kubernetes.
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(ROOT, 'bin', 'pullproof.mjs');
const PLUGIN = join(import.meta.dirname, 'byo', 'tiny-plugin.sh');
const PLUGIN_ENTRY = join(import.meta.dirname, 'byo', 'tiny-plugin.yaml');

const base = `
  summary: 'A granted service account pulls before and after its annotations change.',
  property: 'Changing an annotation the provider does not read does not change who may pull.',
  provider: { mode: 'passthrough', audience: 'pullproof-registry', cacheType: 'Token', requireServiceAccount: true },
  nodeAudienceGrant: true,
  serviceAccounts: [{ namespace: 'team-a', name: 'puller' }],
  registry: { grants: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['team-a/*'], actions: ['pull'] }] },
  images: ['team-a/app'],`;

const FILES: Record<string, string> = {
  'my-regression.ts': `import { defineScenario } from 'pullproof';

export default defineScenario({
  name: 'repro-two-steps',${base}
  pods: [
    { name: 'before', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app' },
    { name: 'after-steps', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', after: 'annotate' },
  ],
  steps: [
    { name: 'say', after: 'before', depth: 'plugin', run: async ({ $ }) => { await $\`echo rotating in $NS_TEAM_A\`; } },
    { name: 'annotate', after: 'say', run: ({ kube }) => kube.annotateServiceAccount('team-a', 'puller', { 'example.com/rotated': 'yes' }) },
  ],
  expect: { before: 'pulled', 'after-steps': 'pulled' },
});
`,
  'wrong.ts': `import { defineScenario } from 'pullproof';
export default defineScenario({
  name: 'repro-wrong',${base}
  pods: [{ name: 'default-sa', namespace: 'team-a', serviceAccount: 'default', image: 'team-a/app' }],
  expect: { 'default-sa': 'pulled' },
});
`,
  'broken.ts': `import { defineScenario } from 'pullproof';
export default defineScenario({ name: 'repro-broken',${base} pods: [{ name: 'p', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', pullPolicy: 'Sometimes' }], expect: { p: 'pulled' } });
`,
};

const DEAD_REGISTRY = `import { defineScenario } from 'pullproof';
export default defineScenario({
  name: 'registry-dies',${base}
  steps: [{ name: 'kill-registry', depth: 'plugin', run: async ({ $, registry }) => { await $\`docker kill \${registry.container}\`; } }],
  pods: [
    { name: 'granted', namespace: 'team-a', serviceAccount: 'puller', image: 'team-a/app', after: 'kill-registry' },
    { name: 'default-sa', namespace: 'team-a', serviceAccount: 'default', image: 'team-a/app', after: 'kill-registry' },
  ],
  expect: { granted: 'pulled', 'default-sa': { denied: /insufficient_scope/ } },
});
`;

/**
 * The environment of a user's shell: none of the Makefile's variables. Without
 * TESTCONTAINERS_RYUK_DISABLED the CLI must still not reach for Ryuk's image (Docker Hub).
 */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TESTCONTAINERS_RYUK_DISABLED;
  return env;
}

async function run(args: readonly string[], cwd: string, artifacts: string): Promise<{ exitCode: number | undefined; out: string; results: RunResults }> {
  await rm(artifacts, { recursive: true, force: true });
  const r = await execa('node', [CLI, 'run', ...args, '--artifacts', artifacts], { cwd, reject: false, all: true, env: plainEnv(), extendEnv: false });
  const [runDir] = await readdir(artifacts).catch(() => [] as string[]);
  const results = runDir ? (JSON.parse(await readFile(join(artifacts, runDir, 'results.json'), 'utf8')) as RunResults) : ({ versions: [] } as unknown as RunResults);
  return { exitCode: r.exitCode, out: r.all, results };
}

const pods = (results: RunResults) => results.versions.flatMap((v) => v.scenarios.flatMap((s) => s.pods.map((p) => ({ scenario: s.name, ...p }))));

describeWithDocker('reproducing a regression from files outside the repository', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pullproof-repro-'));
    await mkdir(join(dir, 'repro'));
    for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, 'repro', name), text);
    await writeFile(join(dir, 'dead-registry.ts'), DEAD_REGISTRY);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('type-checks a scenario file outside the repo against the package exports', async () => {
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await symlink(ROOT, join(dir, 'node_modules', 'pullproof'));
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2024', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] }, files: ['repro/my-regression.ts'] }));
    const tsc = await execa(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: dir, reject: false, all: true });
    expect(tsc.all).toBe('');
    expect(tsc.exitCode).toBe(0);
    await rm(join(dir, 'node_modules'), { recursive: true, force: true });
  }, 60_000);

  describe('at plugin depth', () => {
    let outcome: Awaited<ReturnType<typeof run>>;
    beforeAll(async () => {
      outcome = await run(['./repro', '--depth', 'plugin', '--k8s', '1.34'], dir, join(dir, 'artifacts-plugin'));
    }, 180_000);

    it('names the broken file and its field, and still runs the other files', () => {
      expect(outcome.results.scenarioErrors).toEqual([{ file: './repro/broken.ts', message: expect.stringContaining('scenario "repro-broken": pods[0].pullPolicy: must be Always, IfNotPresent or Never') as string }]);
      expect(outcome.results.versions[0]?.scenarios.map((s) => [s.name, s.source])).toEqual([['repro-two-steps', './repro/my-regression.ts'], ['repro-wrong', './repro/wrong.ts']]);
      expect(outcome.exitCode).toBe(1);
    });

    it('runs the step plugin depth can run, and reports the pod after the API step as not checked', () => {
      const scenario = outcome.results.versions[0]?.scenarios.find((s) => s.name === 'repro-two-steps');
      expect(scenario?.steps?.map((s) => [s.name, s.outcome])).toEqual([['say', 'done'], ['annotate', 'not-run-at-depth']]);
      expect(scenario?.steps?.[0]?.commands[0]).toMatchObject({ command: 'echo rotating in $NS_TEAM_A', exitCode: 0, output: expect.stringMatching(/^rotating in team-a-[0-9a-f]{6}$/) as string });
      expect(scenario?.pods.map((p) => [p.pod, p.outcome])).toEqual([['before', 'match'], ['after-steps', 'not-checked-at-depth']]);
    });

    it('gives the mismatch a rerun command that reproduces it', async () => {
      const wrong = pods(outcome.results).find((p) => p.scenario === 'repro-wrong');
      expect(wrong?.outcome).toBe('mismatch');
      expect(wrong?.rerun).toBe('npx pullproof run ./repro/wrong.ts --depth plugin --k8s 1.34 --scenario repro-wrong');
      const junit = await readFile(join(dir, 'artifacts-plugin', outcome.results.runId, 'junit.xml'), 'utf8');
      const html = await readFile(join(dir, 'artifacts-plugin', outcome.results.runId, 'report.html'), 'utf8');
      expect(junit).toContain(`rerun: ${wrong?.rerun ?? ''}`);
      expect(html).toContain(wrong?.rerun ?? '');
      expect(outcome.out).toContain(wrong?.rerun ?? '');
      const again = await run((wrong?.rerun ?? '').split(' ').slice(3), dir, join(dir, 'artifacts-rerun'));
      expect(pods(again.results).map((p) => [p.scenario, p.pod, p.outcome])).toEqual([['repro-wrong', 'default-sa', 'mismatch']]);
      expect(again.exitCode).toBe(1);
    }, 180_000);
  });

  it('calls every pod inconclusive under one named fault when the registry is killed mid-run', async () => {
    const outcome = await run(['./dead-registry.ts', '--depth', 'plugin', '--k8s', '1.34'], dir, join(dir, 'artifacts-dead'));
    const all = pods(outcome.results);
    expect(all.map((p) => p.outcome)).toEqual(['inconclusive', 'inconclusive']);
    expect(new Set(all.map((p) => p.fault?.name)).size).toBe(1);
    expect(all[0]?.fault).toMatchObject({ kind: 'registry-unreachable', name: expect.stringMatching(/^registry 127\.0\.0\.1:\d+ unreachable \(connection refused\)$/) as string });
    expect(outcome.out).toMatch(/inconclusive, not a security finding — registry 127\.0\.0\.1:\d+ unreachable \(connection refused\): 2 row\(s\)/);
    expect(all.every((p) => p.rerun?.includes('--scenario registry-dies'))).toBe(true);
  }, 180_000);

  it('runs the built-in suite against a plugin that is not ours at plugin depth', async () => {
    const outcome = await run(['--depth', 'plugin', '--k8s', '1.34', '--plugin', PLUGIN, '--plugin-config', PLUGIN_ENTRY], dir, join(dir, 'artifacts-byo'));
    expect(pods(outcome.results).filter((p) => p.outcome === 'mismatch' || p.outcome === 'inconclusive')).toEqual([]);
    expect(pods(outcome.results).filter((p) => p.outcome === 'match').length).toBeGreaterThan(12);
    expect(outcome.results.versions[0]?.environment.plugin).toBe(PLUGIN);
    expect(outcome.exitCode).toBe(0);
  }, 240_000);

  it('at node depth, on a stand-in image of an unreleased Kubernetes given alone: steps act through the API server, the plugin is not ours, and the results name the rules', async () => {
    const standin = await ensureStandinNodeImage();
    const unreleased = `${standin}-v1.38.0-alpha.1`;
    const container = (await execa('docker', ['create', standin])).stdout.trim();
    try {
      const versionFile = join(dir, 'version');
      await writeFile(versionFile, 'v1.38.0-alpha.1\n');
      await execa('docker', ['cp', versionFile, `${container}:/kind/version`]);
      await execa('docker', ['commit', container, unreleased]);
    } finally {
      await execa('docker', ['rm', '-f', container], { reject: false });
    }
    try {
      const outcome = await run(
        ['./repro/my-regression.ts', '--with-built-in', '--scenario', 'repro-two-steps,granted-sa-pulls,exchange-role-impersonation', '--node-image', unreleased, '--plugin', PLUGIN, '--plugin-config', PLUGIN_ENTRY, '--pod-timeout', '90'],
        dir,
        join(dir, 'artifacts-node'),
      );
      const version = outcome.results.versions[0];
      // No --depth: the default (cluster) runner, told by the image's label that it is a stand-in.
      expect(version?.depth, outcome.out).toBe('node');
      expect(version?.environment.nodeImage).toBe(unreleased);
      expect(version?.kubernetes).toBe('1.37');
      expect(version?.environment).toMatchObject({ kubernetesRelease: 'v1.38.0-alpha.1', rules: expect.stringContaining('Kubernetes 1.37 rules applied') as string, plugin: PLUGIN });
      const steps = version?.scenarios.find((s) => s.name === 'repro-two-steps')?.steps;
      expect(steps?.map((s) => [s.name, s.outcome])).toEqual([['say', 'done'], ['annotate', 'done']]);
      expect(steps?.[1]?.commands[0]).toMatchObject({ command: 'kube.annotateServiceAccount("team-a", "puller", {"example.com/rotated":"yes"})', exitCode: 0 });
      const all = pods(outcome.results);
      expect(all.filter((p) => p.outcome !== 'match' && p.outcome !== 'not-checked-at-depth').map((p) => [p.scenario, p.pod, p.outcome, p.note])).toEqual([]);
      expect(all.find((p) => p.pod === 'after-steps')?.evidence.trace.join('\n')).toContain('step annotate: $ kube.annotateServiceAccount');
      expect(outcome.exitCode).toBe(0);
    } finally {
      await execa('docker', ['rmi', unreleased], { reject: false });
    }
  }, 600_000);
});
