import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalServiceAccountIssuer } from '../../../harness/identity/local-issuer.ts';
import { describeWhenPresent } from '../../support/docker.ts';

// The exchange endpoint over real TLS: a certificate the node does not trust is a clear TLS error;
// --ca-file with the right CA makes it work. Needs the openssl CLI (as the token service does).
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'provider', 'plugin', 'main.ts');
const opensslMissing = spawnSync('openssl', ['version']).status === 0 ? undefined : 'openssl CLI not found (apt-get install openssl)';

function plugin(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describeWhenPresent(opensslMissing, 'plugin exchange over TLS', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let request: string;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pullproof-plugin-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256', '-days', '1', '-subj', '/CN=pullproof-exchange-test',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
    server = createServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ username: 'tls-user', password: 'tls-password', expiresInSeconds: 300, expiresAt: new Date(Date.now() + 300_000).toISOString() }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const issuer = await LocalServiceAccountIssuer.create({ issuer: 'https://kubernetes.default.svc.cluster.local' });
    token = await issuer.mint({ namespace: 'team-a', serviceAccountName: 'builder', audience: 'pullproof-registry' });
    request = JSON.stringify({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest', image: 'r.io/team-a/app', serviceAccountToken: token, serviceAccountAnnotations: { 'pullproof.dev/role': 'r' } });
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an untrusted certificate with one line that names the TLS failure and --ca-file', async () => {
    const run = await plugin(['--mode', 'exchange', '--exchange-url', url], request);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/TLS handshake with exchange endpoint https:\/\/127\.0\.0\.1:\d+\/exchange failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\): pass --ca-file/);
    expect(run.stderr).not.toContain(token);
  });

  it('trusts the endpoint with --ca-file and returns the credential', async () => {
    const run = await plugin(['--mode', 'exchange', '--exchange-url', url, '--ca-file', join(dir, 'cert.pem')], request);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { auth: Record<string, unknown> }).auth).toEqual({ 'r.io': { username: 'tls-user', password: 'tls-password' } });
  });

  it('says so when --ca-file cannot be read (the plugin\'s own configuration: exit 2)', async () => {
    const run = await plugin(['--mode', 'exchange', '--exchange-url', url, '--ca-file', join(dir, 'missing.pem')], request);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--ca-file .*missing\.pem cannot be read \(ENOENT\)/);
  });
});
