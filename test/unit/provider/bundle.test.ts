import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProviderBundle, hostArch, launcherScript, ProviderBundleError } from '../../../provider/index.ts';

describe('provider bundle for kind nodes', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('lays out bin/<name> launchers, the single-file plugin and a Node runtime, and runs with an empty environment', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pullproof-bundle-'));
    dirs.push(root);
    const bundle = await buildProviderBundle({ outDir: join(root, 'provider'), providerName: ['pullproof-passthrough', 'pullproof-exchange'] });
    expect(bundle.binDir).toBe(join(root, 'provider', 'bin'));
    expect(bundle.nodeSource).toBe('host');
    expect(bundle.arch).toBe(hostArch());
    for (const launcher of bundle.launchers) expect((await stat(launcher)).mode & 0o111).not.toBe(0);
    expect(await readFile(bundle.launchers[0] ?? '', 'utf8')).toBe(launcherScript());
    expect((await readFile(bundle.pluginFile, 'utf8')).length).toBeGreaterThan(1000);
    // kubelet execs the launcher by absolute path; nothing from the host PATH or env is needed.
    const run = spawnSync(bundle.launchers[1] ?? '', ['--mode', 'passthrough'], {
      env: {},
      input: JSON.stringify({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest', image: 'r.io/a' }),
    });
    expect(run.status).toBe(1);
    expect(run.stdout.toString()).toBe('');
    expect(run.stderr.toString()).toMatch(/^pullproof-credential-provider: passthrough mode needs a service-account token/);
  });

  it('does not rebuild when the inputs are unchanged', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pullproof-bundle-'));
    dirs.push(root);
    const first = await buildProviderBundle({ outDir: join(root, 'b'), providerName: 'pullproof-credential-provider' });
    const second = await buildProviderBundle({ outDir: join(root, 'b'), providerName: 'pullproof-credential-provider' });
    expect(first.rebuilt).toBe(true);
    expect(second.rebuilt).toBe(false);
    expect(second.hash).toBe(first.hash);
    const renamed = await buildProviderBundle({ outDir: join(root, 'b'), providerName: 'other-name' });
    expect(renamed.rebuilt).toBe(true);
    // The plugin is the same whatever its launchers are called: shards of one run report one plugin version.
    expect(renamed.hash).not.toBe(first.hash);
    expect(renamed.pluginHash).toBe(first.pluginHash);
  });

  it('refuses a provider name kubelet would reject', async () => {
    await expect(buildProviderBundle({ outDir: join(tmpdir(), 'pullproof-never'), providerName: 'a/b' })).rejects.toThrow(ProviderBundleError);
  });
});
