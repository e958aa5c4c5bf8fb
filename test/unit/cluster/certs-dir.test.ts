import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostsToml, writeCertsDir } from '../../../harness/cluster/certs-dir.ts';
import { ClusterConfigError } from '../../../harness/cluster/errors.ts';

describe('containerd certs.d', () => {
  it('writes one hosts.toml per registry host with an http:// server and no skip_verify', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pullproof-certs-'));
    try {
      await writeCertsDir(dir, [
        { host: 'pullproof-registry:5000', server: 'http://pullproof-registry:5000' },
        { host: 'other.test', server: 'http://other-registry:5000' },
      ]);
      expect((await readdir(dir)).sort()).toEqual(['other.test', 'pullproof-registry:5000']);
      const toml = await readFile(join(dir, 'pullproof-registry:5000', 'hosts.toml'), 'utf8');
      expect(toml).toBe('server = "http://pullproof-registry:5000"\n\n[host."http://pullproof-registry:5000"]\n  capabilities = ["pull", "resolve"]\n');
      expect(toml).not.toMatch(/skip_verify|ca =|client =/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses servers that are not plain http:// (containerd would try HTTPS first)', () => {
    expect(() => hostsToml({ host: 'r:5000', server: 'https://r:5000' })).toThrow(ClusterConfigError);
    expect(() => hostsToml({ host: 'r:5000', server: 'http://r:5000/v2' })).toThrow(/registry.server = "http:\/\/r:5000\/v2"/);
    expect(() => hostsToml({ host: '../etc', server: 'http://r:5000' })).toThrow(/registry.host/);
  });
});
