import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkCgroups,
  checkDisk,
  checkDockerEngine,
  checkKind,
  checkKindNetwork,
  checkKubectl,
  checkNode,
  checkNodeImage,
  judge,
} from '../../../harness/doctor/checks.ts';
import type { CommandOutcome, MachineFacts } from '../../../harness/doctor/facts.ts';
import { parseDockerInfo, parseDockerVersion, parseKindNetwork, parseKindVersion, parseKubectlVersion } from '../../../harness/doctor/parse.ts';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import { registryProbeArgs } from '../../../harness/doctor/probe.ts';

// recorded/: outputs recorded by scripts/record-doctor-outputs.ts, which runs the commands doctor runs
// (harness/doctor/probe.ts); its MANIFEST.json names each file's command, exit code, date and tool
// versions (Debian 12, Docker engine 26.1.5+dfsg1 with client 28.2.2, kind v0.33.0, kubectl v1.32.4).
// synthetic/: hand-written variants, each explained in its README.md. Values this machine did not
// produce are otherwise made in the test by an explicit edit of a recorded file.
const RECORDED = join(import.meta.dirname, 'recorded');
interface ManifestEntry { file: string; argv: string[]; exitCode: number | undefined; stream: 'stdout' | 'stderr' }
const manifest = JSON.parse(readFileSync(join(RECORDED, 'MANIFEST.json'), 'utf8')) as { files: ManifestEntry[] };
const recorded = (name: string): string => readFileSync(join(RECORDED, name), 'utf8');
const synthetic = (name: string): string => readFileSync(join(import.meta.dirname, 'synthetic', name), 'utf8');
/** The outcome doctor received: the file is the stream it reads, the exit code is the manifest's. */
function recordedOutcome(name: string): CommandOutcome {
  const entry = manifest.files.find((e) => e.file === name);
  if (!entry) throw new Error(`${name} is not in recorded/MANIFEST.json: run node scripts/record-doctor-outputs.ts`);
  const text = recorded(name);
  return { exitCode: entry.exitCode, stdout: entry.stream === 'stdout' ? text : '', stderr: entry.stream === 'stderr' ? text : '' };
}
const ok = (stdout: string): CommandOutcome => ({ exitCode: 0, stdout, stderr: '' });
const failed = (stderr: string): CommandOutcome => ({ exitCode: 1, stdout: '', stderr });
const notInstalled: CommandOutcome = { exitCode: undefined, stdout: '', stderr: 'spawn kind ENOENT' };
const k134 = kubernetesVersion('1.34');
const k137 = kubernetesVersion('1.37');
const daemonDown = failed('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');

/**
 * The recorded tool outputs, plus what the recording machine lacks written in: a present node image
 * (kindest/node cannot be pulled there), free disk and busybox.
 */
function healthyFacts(overrides: Partial<MachineFacts> = {}): MachineFacts {
  return {
    nodeVersion: 'v24.22.3',
    dockerVersion: recordedOutcome('docker-version.json'),
    dockerInfo: recordedOutcome('docker-info.json'),
    kindVersion: recordedOutcome('kind-version.txt'),
    kubectlVersion: recordedOutcome('kubectl-version.json'),
    nodeImageInspect: ok('[{"Id":"sha256:abc"}]'),
    registryProbe: undefined,
    kindNetworkInspect: recordedOutcome('kind-network-absent.txt'),
    freeDiskBytes: 80 * 1024 ** 3,
    freeDiskPath: '/var/lib/docker',
    busybox: { path: '/bin/busybox', present: true },
    ...overrides,
  };
}

describe('recorded tool outputs', () => {
  it('are exactly the files MANIFEST.json lists, each the stream doctor reads of a command it runs', () => {
    expect(readdirSync(RECORDED).filter((f) => f !== 'MANIFEST.json').sort()).toEqual(manifest.files.map((e) => e.file).sort());
    for (const entry of manifest.files) {
      expect(['docker', 'kind', 'kubectl'], entry.file).toContain(entry.argv[0]);
      expect(entry.stream, entry.file).toBe(entry.exitCode === 0 ? 'stdout' : 'stderr');
    }
  });
});

describe('parsing recorded tool output', () => {
  it('reads server version and API version from `docker version --format json`', () => {
    expect(parseDockerVersion(recorded('docker-version.json'))).toEqual({ serverVersion: '26.1.5+dfsg1', apiVersion: '1.45', minApiVersion: '1.24' });
  });

  it('reads storage driver and cgroup version from `docker info --format json`', () => {
    expect(parseDockerInfo(recorded('docker-info.json'))).toMatchObject({ storageDriver: 'overlay2', cgroupVersion: '1', cgroupDriver: 'cgroupfs', dockerRootDir: '/var/lib/docker' });
  });

  it('reads the kind and kubectl versions', () => {
    expect(parseKindVersion(recorded('kind-version.txt'))).toBe('v0.33.0');
    expect(parseKubectlVersion(recorded('kubectl-version.json'))).toBe('v1.32.4-dispatcher');
  });

  it("reads the kind network's IPv4 gateway, ignoring its IPv6 subnet", () => {
    expect(parseKindNetwork(recorded('kind-network-present.json'))).toEqual({ driver: 'bridge', ipv4Gateway: '172.18.0.1', ipv4Subnet: '172.18.0.0/16', containers: 0 });
  });

  it('returns undefined for output that is not what the tool prints', () => {
    expect(parseDockerVersion('Cannot connect to the Docker daemon')).toBeUndefined();
    expect(parseDockerInfo('{}')).toBeUndefined();
    expect(parseKindVersion('command not found')).toBeUndefined();
    expect(parseKindNetwork('[]')).toBeUndefined();
  });
});

describe('doctor decisions', () => {
  it('passes the recorded tools with the node image present for Kubernetes 1.34 and exits ready', () => {
    const report = judge(healthyFacts(), k134);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['node', 'pass'],
      ['docker-engine', 'pass'],
      ['cgroups', 'pass'],
      ['kind', 'pass'],
      ['kubectl', 'pass'],
      ['node-image', 'pass'],
      ['disk', 'pass'],
      ['kind-network', 'pass'],
      ['test-image', 'pass'],
    ]);
    expect(report.ok).toBe(true);
  });

  it('fails Node 20 with a remedy that names make setup', () => {
    const check = checkNode('v20.20.2');
    expect(check.status).toBe('fail');
    expect(check.remedy).toContain('make setup');
  });

  it('fails when the Docker engine is down, and says how to start it', () => {
    const report = judge(healthyFacts({ dockerVersion: daemonDown, dockerInfo: daemonDown, nodeImageInspect: daemonDown, kindNetworkInspect: daemonDown }), k134);
    const docker = report.checks.find((c) => c.id === 'docker-engine');
    expect(docker?.status).toBe('fail');
    expect(docker?.summary).toContain('Cannot connect to the Docker daemon');
    expect(docker?.remedy).toMatch(/start the Docker engine/);
    expect(report.checks.find((c) => c.id === 'node-image')?.summary).toContain('not checked');
    expect(report.ok).toBe(false);
  });

  it('fails when the docker CLI is missing', () => {
    expect(checkDockerEngine({ exitCode: undefined, stdout: '', stderr: 'spawn docker ENOENT' }, notInstalled)).toMatchObject({ status: 'fail', summary: 'docker CLI not found on PATH' });
  });

  it('fails an engine older than Docker 20.10 (kind needs --cgroupns=private)', () => {
    const check = checkDockerEngine(ok(synthetic('docker-version-old.json')), recordedOutcome('docker-info.json'));
    expect(check.status).toBe('fail');
    expect(check.remedy).toContain('20.10');
  });

  it('fails Kubernetes 1.35+ on a cgroup v1 host but not 1.34', () => {
    const info = recordedOutcome('docker-info.json');
    expect(parseDockerInfo(info.stdout)?.cgroupVersion).toBe('1');
    expect(checkCgroups(info, k137)?.status).toBe('fail');
    expect(checkCgroups(info, k137)?.remedy).toContain('cgroup v2');
    expect(checkCgroups(info, k134)?.status).toBe('pass');
    // The recording machine is cgroup v1; v2 is that output with the one field edited.
    const v2 = ok(recorded('docker-info.json').replace('"CgroupVersion":"1"', '"CgroupVersion":"2"'));
    expect(parseDockerInfo(v2.stdout)?.cgroupVersion).toBe('2');
    expect(checkCgroups(v2, k137)?.status).toBe('pass');
  });

  it('fails a missing kind and a kind too old for the kubeadm API of the minor', () => {
    expect(checkKind(notInstalled, k134)).toMatchObject({ status: 'fail', summary: 'kind not found on PATH' });
    const old = checkKind(ok(synthetic('kind-version-old.txt')), k137);
    expect(old.status).toBe('fail');
    expect(old.summary).toContain('kubeadm.k8s.io/v1beta4');
  });

  it('only warns when kubectl is missing: it is optional', () => {
    const check = checkKubectl({ exitCode: undefined, stdout: '', stderr: 'spawn kubectl ENOENT' });
    expect(check.status).toBe('warn');
    expect(judge(healthyFacts({ kubectlVersion: notInstalled }), k134).ok).toBe(true);
  });

  it('tells "will be pulled by kind" from "registry unreachable" for a missing node image', () => {
    // Recorded for 1.37's pinned image: absent, and Docker Hub unreachable from the recording machine.
    const missing = recordedOutcome('node-image-absent.txt');
    expect(missing.stderr).toContain(`No such image: ${k137.nodeImage}`);
    // A served manifest is written here: the recording machine never got one.
    const pullable = checkNodeImage(missing, ok('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}'), true, k137);
    expect(pullable.status).toBe('pass');
    expect(pullable.summary).toContain('kind will pull it');
    const unreachable = checkNodeImage(missing, recordedOutcome('registry-probe-failed.txt'), true, k137);
    expect(unreachable.status).toBe('fail');
    expect(unreachable.summary).toContain('the registry did not serve its manifest (failed to configure transport: error pinging v2 registry');
    expect(unreachable.remedy).toContain('docker load');
    expect(unreachable.summary).toContain(k137.nodeImage);
  });

  it("probes the pinned manifest through the registry's pull API, not Docker Hub's search API", () => {
    // A search outage must not block `make e2e`: the probe is the first request of the pull itself.
    expect(registryProbeArgs(k134.nodeImage)).toEqual(['manifest', 'inspect', k134.nodeImage]);
  });

  it('fails below 4 GiB free disk and warns below 10 GiB', () => {
    expect(checkDisk(2 * 1024 ** 3, '/var/lib/docker').status).toBe('fail');
    expect(checkDisk(6 * 1024 ** 3, '/var/lib/docker').status).toBe('warn');
    expect(checkDisk(60 * 1024 ** 3, '/var/lib/docker').status).toBe('pass');
  });

  it('accepts an absent kind network, and fails one without an IPv4 gateway for the token realm', () => {
    // A kind network existed when these were recorded, so absence was recorded on another name (see the MANIFEST note).
    expect(checkKindNetwork(recordedOutcome('kind-network-absent.txt'), true).status).toBe('pass');
    expect(checkKindNetwork(recordedOutcome('kind-network-present.json'), true).summary).toContain('gateway 172.18.0.1');
    // No IPv6-only kind network was recorded: the recorded one with its IPv4 subnet edited out.
    const v6only = JSON.parse(recorded('kind-network-present.json')) as [{ IPAM: { Config: { Subnet: string }[] } }];
    v6only[0].IPAM.Config = v6only[0].IPAM.Config.filter((c) => c.Subnet.includes(':'));
    expect(v6only[0].IPAM.Config).toHaveLength(1);
    expect(checkKindNetwork(ok(JSON.stringify(v6only)), true).status).toBe('fail');
  });

  it('fails without the static busybox the test images are built from', () => {
    const report = judge(healthyFacts({ busybox: { path: '/bin/busybox', present: false } }), k134);
    expect(report.checks.find((c) => c.id === 'test-image')).toMatchObject({ status: 'fail', remedy: expect.stringContaining('busybox-static') as string });
    expect(report.ok).toBe(false);
  });

  it('gives every warn and fail a remedy', () => {
    const report = judge(healthyFacts({ dockerVersion: daemonDown, dockerInfo: daemonDown, kindVersion: notInstalled, kubectlVersion: notInstalled, freeDiskBytes: undefined }), k137);
    for (const check of report.checks.filter((c) => c.status !== 'pass')) expect(check.remedy, check.id).toBeTruthy();
  });
});
