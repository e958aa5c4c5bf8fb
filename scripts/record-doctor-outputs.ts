// Records, on this machine, the outputs of the commands doctor runs to gather its facts
// (gatherFacts in harness/doctor/probe.ts) into test/unit/doctor/recorded/, so that no doctor
// fixture is called "recorded" unless this script made it:
//   node scripts/record-doctor-outputs.ts [--k8s 1.37]
// Every command goes through doctor's own outcomeOf (same execa options, timeout and stdin) with the
// argv gatherFacts passes. Each file holds the stream doctor reads: stdout when the command
// succeeded, stderr when it failed (checks.ts reports a failure by its first stderr line).
// MANIFEST.json names each file's command, exit code, date and the versions of the tools involved.
// The directory is replaced as a whole, and only after every command has run: everything in it is
// this script's output. Hand-written variants live in test/unit/doctor/synthetic/.
//
// The `kind` network is recorded present and absent, as `docker network inspect kind` prints it:
// - no `kind` network: inspect it (absent), create it the way kind does, inspect it (present), and
//   remove it again in `finally`, by the id this script created;
// - a `kind` network exists (another cluster's, never ours to remove): inspect it (present), and
//   record absence by inspecting NO_SUCH_NETWORK, a name checked to be absent first.
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { DEFAULT_MINOR, kubernetesVersion } from '../harness/cluster/versions.ts';
import type { CommandOutcome } from '../harness/doctor/facts.ts';
import { parseDockerInfo, parseDockerVersion, parseKindVersion, parseKubectlVersion } from '../harness/doctor/parse.ts';
import { outcomeOf, registryProbeArgs } from '../harness/doctor/probe.ts';

const OUT = join(import.meta.dirname, '..', 'test', 'unit', 'doctor', 'recorded');
const KIND_NETWORK = 'kind';
const NO_SUCH_NETWORK = 'pullproof-no-such-network';

const { values } = parseArgs({ options: { k8s: { type: 'string', default: DEFAULT_MINOR } } });
const kubernetes = kubernetesVersion(values.k8s ?? DEFAULT_MINOR);

interface Recording {
  readonly file: string;
  readonly argv: readonly [string, ...string[]];
  readonly outcome: CommandOutcome;
  readonly date: string;
  readonly note: string | undefined;
}

/** File names by outcome; a missing name means that outcome is not one this recording accepts. */
interface FileNames {
  readonly ok?: string;
  readonly failed?: string;
}

// Ctrl-C also reaches the docker children, whose failure then ends the run through the `finally`
// that removes a network this script created; without a handler Node would exit before it runs.
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
});

async function record(argv: readonly [string, ...string[]], names: FileNames, note?: string): Promise<Recording> {
  if (interrupted) throw new Error('interrupted: nothing was written');
  const [file, ...args] = argv;
  const date = new Date().toISOString();
  const outcome = await outcomeOf(file, args);
  const name = outcome.exitCode === 0 ? names.ok : names.failed;
  if (!name) {
    const got = outcome.exitCode === undefined ? `${file} could not be started (${outcome.stderr})` : `exit code ${outcome.exitCode}: ${(outcome.stderr || outcome.stdout).trim()}`;
    throw new Error(`\`${argv.join(' ')}\` gave ${got}; expected it to ${names.ok ? 'succeed' : 'fail'}. Nothing was written to ${OUT}.`);
  }
  process.stderr.write(`record-doctor-outputs: ${name} ← ${argv.join(' ')} (exit ${String(outcome.exitCode)})\n`);
  return { file: name, argv, outcome, date, note };
}

/** The network's id, or undefined; the same query kind makes (networksWithName in network.go). */
async function networkId(name: string): Promise<string | undefined> {
  const { stdout } = await execa('docker', ['network', 'ls', `--filter=name=^${name}$`, '--format={{.ID}}']);
  return stdout.trim() || undefined;
}

/**
 * kind's IPv6 subnet for a network name: fc00::/8 plus bytes 2–7 of sha1(name ‖ attempt as int32
 * little-endian), a /64 (generateULASubnetFromName in kind's pkg/cluster/internal/providers/docker/
 * network.go). For "kind", attempt 0: fc00:f853:ccd:e793::/64.
 */
function kindUlaSubnet(name: string): string {
  const hash = createHash('sha1').update(name).update(Buffer.alloc(4)).digest();
  const groups = [0xfc00, hash.readUInt16BE(2), hash.readUInt16BE(4), hash.readUInt16BE(6)];
  return `${groups.map((g) => g.toString(16)).join(':')}::/64`;
}

/**
 * `docker network create` exactly as kind v0.33 runs it (createNetwork in network.go, captured in
 * shared/reference/kind-standin-node.md): a bridge with IP masquerading, the MTU of Docker's default
 * bridge, and the IPv6 subnet kind derives from the name; kind adds no labels.
 */
async function createNetworkLikeKind(name: string): Promise<{ readonly id: string; readonly argv: readonly string[] }> {
  const mtu = Number.parseInt((await execa('docker', ['network', 'inspect', 'bridge', '-f', '{{ index .Options "com.docker.network.driver.mtu" }}'])).stdout.trim(), 10);
  const argv = ['network', 'create', '-d=bridge', '-o', 'com.docker.network.bridge.enable_ip_masquerade=true'];
  if (mtu > 0) argv.push('-o', `com.docker.network.driver.mtu=${mtu}`);
  argv.push('--ipv6', '--subnet', kindUlaSubnet(name), name);
  const { stdout } = await execa('docker', argv);
  return { id: stdout.trim(), argv: ['docker', ...argv] };
}

async function recordKindNetwork(): Promise<Recording[]> {
  const inspectKind = ['docker', 'network', 'inspect', KIND_NETWORK] as const;
  const existing = await networkId(KIND_NETWORK);
  let created: string | undefined;
  try {
    if (existing) {
      if (await networkId(NO_SUCH_NETWORK)) throw new Error(`a docker network named ${NO_SUCH_NETWORK} exists; remove it so that absence can be recorded`);
      const absent = await record(['docker', 'network', 'inspect', NO_SUCH_NETWORK], { failed: 'kind-network-absent.txt' }, `a "kind" network (${existing}) existed and was not this script's to remove, so absence was recorded by inspecting ${NO_SUCH_NETWORK}; doctor inspects "kind"`);
      const present = await record(inspectKind, { ok: 'kind-network-present.json' }, `the "kind" network found on the machine (${existing}), left as it was`);
      return [absent, present];
    }
    const absent = await record(inspectKind, { failed: 'kind-network-absent.txt' }, 'no "kind" network existed');
    const network = await createNetworkLikeKind(KIND_NETWORK);
    created = network.id;
    const present = await record(inspectKind, { ok: 'kind-network-present.json' }, `created by this script as kind creates it (\`${network.argv.join(' ')}\`), removed again afterwards`);
    return [absent, present];
  } finally {
    if (created) {
      // Removed by id: a network another process created meanwhile under the same name is not ours.
      await execa('docker', ['network', 'rm', created]).then(
        () => process.stderr.write(`record-doctor-outputs: removed the "kind" network ${created} this script created\n`),
        (error: unknown) => process.stderr.write(`record-doctor-outputs: could not remove the "kind" network ${created} this script created (${error instanceof Error ? error.message : String(error)}): remove it with docker network rm ${created} once no container uses it\n`),
      );
    }
  }
}

const dockerVersion = await record(['docker', 'version', '--format', '{{json .}}'], { ok: 'docker-version.json' });
const dockerInfo = await record(['docker', 'info', '--format', '{{json .}}'], { ok: 'docker-info.json' });
const kindVersion = await record(['kind', 'version'], { ok: 'kind-version.txt' });
const kubectlVersion = await record(['kubectl', 'version', '--client', '-o', 'json'], { ok: 'kubectl-version.json' });
// The same presence test kind itself uses before deciding to pull; when it fails, doctor asks the
// registry for the pinned manifest, and so does this script.
const imageNote = `Kubernetes ${kubernetes.minor}'s pinned node image`;
const nodeImage = await record(['docker', 'inspect', '--type=image', kubernetes.nodeImage], { ok: 'node-image-present.json', failed: 'node-image-absent.txt' }, imageNote);
const registryProbe =
  nodeImage.outcome.exitCode !== 0
    ? [await record(['docker', ...registryProbeArgs(kubernetes.nodeImage)], { ok: 'registry-probe-served.json', failed: 'registry-probe-failed.txt' }, imageNote)]
    : [];
const recordings = [dockerVersion, dockerInfo, kindVersion, kubectlVersion, nodeImage, ...registryProbe, ...(await recordKindNetwork())];

const engine = parseDockerVersion(dockerVersion.outcome.stdout);
const client = (JSON.parse(dockerVersion.outcome.stdout) as { Client?: { Version?: string } }).Client?.Version;
const info = parseDockerInfo(dockerInfo.outcome.stdout);
const host = JSON.parse(dockerInfo.outcome.stdout) as { OperatingSystem?: string; KernelVersion?: string };
const tools: Readonly<Record<string, string>> = {
  docker: `client ${client ?? 'unknown'}, engine ${engine?.serverVersion ?? 'unknown'} (API ${engine?.apiVersion ?? 'unknown'})`,
  kind: parseKindVersion(kindVersion.outcome.stdout) ?? 'unknown',
  kubectl: parseKubectlVersion(kubectlVersion.outcome.stdout) ?? 'unknown',
};

const manifest = {
  about: 'Outputs of the commands doctor runs (harness/doctor/probe.ts), recorded by scripts/record-doctor-outputs.ts on the machine below; regenerate with it, never edit by hand. Each file is the stream doctor reads: stdout on exit 0, stderr otherwise.',
  madeBy: `node scripts/record-doctor-outputs.ts --k8s ${kubernetes.minor}`,
  date: dockerVersion.date,
  machine: {
    os: host.OperatingSystem ?? 'unknown',
    kernel: host.KernelVersion ?? 'unknown',
    architecture: info?.architecture ?? 'unknown',
    cgroup: `v${info?.cgroupVersion ?? '?'} (${info?.cgroupDriver ?? '?'})`,
    node: process.version,
  },
  tools,
  files: recordings.map((r) => ({
    file: r.file,
    command: r.argv.join(' '),
    argv: r.argv,
    exitCode: r.outcome.exitCode,
    stream: r.outcome.exitCode === 0 ? 'stdout' : 'stderr',
    date: r.date,
    tool: `${r.argv[0]} ${tools[r.argv[0]] ?? 'unknown'}`,
    note: r.note,
  })),
};

if (interrupted) throw new Error('interrupted: nothing was written');
await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });
for (const r of recordings) await writeFile(join(OUT, r.file), r.outcome.exitCode === 0 ? r.outcome.stdout : r.outcome.stderr);
await writeFile(join(OUT, 'MANIFEST.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`record-doctor-outputs: wrote ${recordings.length} files and MANIFEST.json to ${OUT}\n`);
