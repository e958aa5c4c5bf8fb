import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConformance } from '../../../harness/cli/commands/conformance.ts';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'pullproof.mjs');

describe('npx pullproof conformance', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pullproof-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--help documents every flag with a description', async () => {
    const program = new Command('pullproof');
    registerConformance(program);
    const command = program.commands.find((c) => c.name() === 'conformance');
    const { stdout, exitCode } = await execa(process.execPath, [CLI, 'conformance', '--help'], { reject: false });
    expect(exitCode).toBe(0);
    expect(command?.options.length).toBeGreaterThan(20);
    for (const option of command?.options ?? []) {
      expect(option.description.length, option.long ?? option.flags).toBeGreaterThan(10);
      expect(stdout).toContain(option.long ?? option.flags);
    }
    expect(stdout).toContain('Exit status:');
  });

  it('prints kubelet\'s own startup error and exits 4 when kubelet would refuse the config', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- name: p\n  matchImages: ["r.io"]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n  tokenAttributes:\n    serviceAccountTokenAudience: a\n    requireServiceAccount: true\n');
    const r = await execa(process.execPath, [CLI, 'conformance', '--config', config, '--bin-dir', dir, '--image', 'r.io/a', '--k8s', '1.35'], { reject: false });
    expect(r.exitCode).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('failed to validate credential provider config: providers.tokenAttributes.cacheType: Required value: cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token');
  });
});
