import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditLog, REDACTED, type AuditEntry } from '../../../registry/index.ts';
import { AuditFile } from '../../../registry/token-service/audit-file.ts';

type Decision = Omit<AuditEntry, 'time'>;

function decision(namespace: string, name: string, n: number): Decision {
  return {
    client: '127.0.0.1', endpoint: 'token', method: 'GET', status: 200, outcome: 'granted', identity: 'serviceAccount',
    subject: `system:serviceaccount:${namespace}:${name}`,
    serviceAccount: { namespace, name, uid: `uid-${n}` },
    requestedScopes: [`repository:${namespace}/app:pull`], grantedScopes: [`repository:${namespace}/app:pull`],
  };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('audit memory bound', () => {
  it('keeps a quiet account’s entries while a busy one overflows its share, and marks what the busy one lost', () => {
    const log = new AuditLog({ maxBytes: 64 * 1024, maxBytesPerAccount: 16 * 1024 });
    log.record(decision('team-a', 'quiet', 0));
    for (let i = 1; i <= 2_000; i++) log.record(decision('team-b', 'busy', i));

    expect(log.bytes()).toBeLessThanOrEqual(64 * 1024);
    expect(log.auditFor({ namespace: 'team-a', serviceAccount: 'quiet' })).toMatchObject([{ serviceAccount: { uid: 'uid-0' } }]);

    const busy = log.auditFor({ namespace: 'team-b', serviceAccount: 'busy' });
    const [marker, ...kept] = busy;
    expect(marker).toMatchObject({ endpoint: 'audit', outcome: 'dropped', subject: 'system:serviceaccount:team-b:busy' });
    expect(marker?.dropped).toBe(2_000 - kept.length);
    expect(marker?.denyReason).toMatch(/older audit entries about this service account .* were dropped/);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.at(-1)?.serviceAccount?.uid).toBe('uid-2000'); // the newest survive
    expect(kept.map((e) => Number(e.serviceAccount?.uid.slice(4)))).toEqual(kept.map((_, i) => 2_001 - kept.length + i));
    expect(log.drops().entries).toBe(marker?.dropped);
    // The busy account's arena gave its old chunks back: its share plus at most two 16 KiB chunks.
    expect(log.heldBytes()).toBeLessThanOrEqual(16 * 1024 + 2 * 16 * 1024 + 2 * 1024);
  });

  it('drops the oldest entries first once all accounts together pass the total bound', () => {
    const log = new AuditLog({ maxBytes: 32 * 1024, maxBytesPerAccount: 32 * 1024 });
    for (let i = 0; i < 1_000; i++) log.record(decision('many', `sa-${i}`, i));

    expect(log.bytes()).toBeLessThanOrEqual(32 * 1024);
    const live = log.entries();
    expect(live.at(-1)?.serviceAccount?.name).toBe('sa-999');
    expect(live.length + log.drops().entries).toBe(1_000);
    // An account whose every entry was dropped holds no arena chunk; each live one a single 2 KiB chunk.
    expect(log.heldBytes()).toBe(live.length * 2 * 1024);
    expect(log.auditFor({ namespace: 'many', serviceAccount: 'sa-0' })).toMatchObject([{ outcome: 'dropped', dropped: 1 }]);
    expect(log.auditFor({ namespace: 'many', serviceAccount: 'sa-999' })).toMatchObject([{ outcome: 'granted' }]);
  });

  it('keeps every line whole (multi-byte text, a line longer than a chunk) and dates the marker by the newest dropped entry', () => {
    vi.useFakeTimers();
    try {
      const log = new AuditLog({ maxBytes: 64 * 1024, maxBytesPerAccount: 24 * 1024 });
      // 17 UTF-8 bytes per repeat; 1,100 repeats are 18.7 KB, more than one 16 KiB arena chunk.
      const reasons = Array.from({ length: 40 }, (_, i) => `${'Grüße ✓ 🚀 '.repeat(i % 7 === 0 ? 1_100 : 20 + i)}#${i}`);
      const at = (i: number): number => Date.UTC(2026, 11, 2, 10, 0, i);
      reasons.forEach((reason, i) => {
        vi.setSystemTime(at(i));
        log.record({ ...decision('team-c', 'text', i), denyReason: reason });
      });
      const [marker, ...kept] = log.auditFor({ namespace: 'team-c', serviceAccount: 'text' });
      const firstKept = reasons.length - kept.length;
      expect(marker).toMatchObject({ outcome: 'dropped', dropped: firstKept, time: new Date(at(firstKept - 1)).toISOString() });
      expect(kept.map((entry) => entry.denyReason)).toEqual(reasons.slice(firstKept));
      expect(kept.map((entry) => entry.time)).toEqual(reasons.slice(firstKept).map((_, i) => new Date(at(firstKept + i)).toISOString()));
      expect(log.bytes()).toBeLessThanOrEqual(24 * 1024);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stamps each entry with its own millisecond, as Date#toISOString writes it', () => {
    vi.useFakeTimers();
    try {
      const log = new AuditLog();
      const times = [Date.UTC(2026, 11, 2, 10, 0, 0, 0), Date.UTC(2026, 11, 2, 10, 0, 0, 7), Date.UTC(2026, 11, 2, 10, 0, 0, 42), Date.UTC(2026, 11, 2, 10, 0, 0, 999), Date.UTC(2026, 11, 2, 10, 0, 1, 5), Date.UTC(1999, 0, 1, 0, 0, 0, 100)];
      for (const [i, at] of times.entries()) {
        vi.setSystemTime(at);
        log.record(decision('team-a', 'clock', i));
      }
      expect(log.entries().map((entry) => entry.time)).toEqual(times.map((at) => new Date(at).toISOString()));
    } finally {
      vi.useRealTimers();
    }
  });

  it('files a rejected token’s entry under the account it claimed', () => {
    const log = new AuditLog();
    log.record({ client: '127.0.0.1', endpoint: 'token', method: 'GET', status: 401, outcome: 'rejected', identity: 'unknown', claimedServiceAccount: { namespace: 'team-a', name: 'web' }, requestedScopes: [], grantedScopes: [], denyReason: 'service-account token rejected (wrong_audience)' });
    expect(log.auditFor({ namespace: 'team-a', serviceAccount: 'web' })).toMatchObject([{ outcome: 'rejected', claimedServiceAccount: { name: 'web' } }]);
  });
});

describe('audit file rotation', () => {
  it('rotates at the size cap, keeps the configured number of whole-line files, and removes the oldest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pullproof-audit-'));
    dirs.push(dir);
    const path = join(dir, 'audit.jsonl');
    const log = new AuditLog({ file: { path, maxBytes: 4 * 1024, keep: 2 } });
    log.registerSecret('hunter2-admin');
    for (let i = 0; i < 200; i++) log.record({ ...decision('team-a', 'web', i), denyReason: i % 2 ? 'password hunter2-admin' : undefined });
    await log.close();

    expect((await readdir(dir)).sort()).toEqual(['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2']);
    const files = await Promise.all(['audit.jsonl.2', 'audit.jsonl.1', 'audit.jsonl'].map((name) => readFile(join(dir, name), 'utf8')));
    const uids: number[] = [];
    for (const text of files) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4 * 1024);
      expect(text.endsWith('\n')).toBe(true);
      expect(text).not.toContain('hunter2-admin');
      const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      // Every rotated-to file says where the entries before it went, and which file was discarded.
      expect(lines[0]).toMatchObject({ audit: 'rotated', previousFile: `${path}.1` });
      for (const entry of lines.slice(1)) uids.push(Number((entry as unknown as AuditEntry).serviceAccount?.uid.slice(4)));
    }
    // The files hold the newest entries, contiguous and in order; older ones were rotated away.
    expect(uids.at(-1)).toBe(199);
    expect(uids).toEqual(uids.map((_, i) => 200 - uids.length + i));
    expect(files.join('')).toContain(REDACTED);
  });

  it('appends to an existing file and writes every queued entry on close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pullproof-audit-'));
    dirs.push(dir);
    const path = join(dir, 'audit.jsonl');
    for (const round of [0, 1]) {
      const log = new AuditLog({ file: path });
      for (let i = 0; i < 50; i++) log.record(decision('team-a', 'web', round * 50 + i));
      await log.close();
    }
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(100);
    expect(JSON.parse(lines[99] ?? '{}')).toMatchObject({ serviceAccount: { uid: 'uid-99' } });
  });
});

describe('audit redaction', () => {
  it('masks a registered secret that JSON would escape, and secret-shaped strings in keys and values', () => {
    const log = new AuditLog();
    log.registerSecret('pa"ss\\word');
    log.record({ ...decision('team-a', 'web', 1), username: 'x pa"ss\\word y', annotations: { 'eyJa.eyJb.c': 'ppr_AAAAAAAAAAAAAAAAAAAAAAAA' } });
    const [entry] = log.entries();
    expect(entry?.username).toBe(`x ${REDACTED} y`);
    expect(entry?.annotations).toEqual({ [REDACTED]: REDACTED });
    expect(JSON.stringify(log.entries())).not.toMatch(/pa\\"ss|eyJa|ppr_/);
  });
});

describe('audit file batching', () => {
  it('leaves lines that arrive while a batch is being written for the next flush, not for an immediate write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pullproof-audit-'));
    dirs.push(dir);
    const path = join(dir, 'audit.jsonl');
    const file = new AuditFile({ path, flushMs: 60_000 });
    const line = JSON.stringify({ n: 0, pad: 'x'.repeat(1000) });
    for (let i = 0; i < 70; i++) file.append(line); // > 64 KiB: flushed on the next timer turn
    // This timer runs after the file's (both 0 ms, the file's set first), so its write is in flight.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(file.writes).toBe(1);
    file.append(JSON.stringify({ n: 'late' }));
    // Keep the event loop busy past the write's completion, as a loaded token service does.
    const until = Date.now() + 50;
    while (Date.now() < until) {
      // busy: the write completes on libuv's thread pool meanwhile
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(file.writes).toBe(1);
    expect(await readFile(path, 'utf8')).not.toContain('late');
    await file.close();
    expect(file.writes).toBe(2);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(71);
    expect(lines.at(-1)).toBe('{"n":"late"}');
  });
});
