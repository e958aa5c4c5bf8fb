import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/**
 * Deterministic OCI layers: entries sorted by path, mtime 0, uid/gid 0 with empty user/group
 * names, fixed gzip level — the same input gives the same bytes, so the same digests
 * (the `tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 | gzip -n` recipe, §6.2).
 */

export type LayerEntry =
  | { readonly type: 'directory'; readonly path: string; readonly mode?: number }
  | { readonly type: 'file'; readonly path: string; readonly content: Buffer | string; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

export interface Layer {
  /** sha256 of the gzip blob: the manifest's layer digest. */
  readonly digest: string;
  /** sha256 of the uncompressed tar: the config's `rootfs.diff_ids` entry (image-spec config.md). */
  readonly diffId: string;
  readonly blob: Buffer;
  readonly mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip';
}

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export class LayerError extends Error {
  readonly path: string;
  constructor(path: string, detail: string) {
    super(`layer entry ${JSON.stringify(path)} ${detail}`);
    this.name = 'LayerError';
    this.path = path;
  }
}

export async function tarEntries(entries: readonly LayerEntry[]): Promise<Buffer> {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.path.startsWith('/') || entry.path.split('/').includes('..') || entry.path === '') throw new LayerError(entry.path, 'must be a relative path without ".."');
    if (seen.has(entry.path)) throw new LayerError(entry.path, 'appears twice');
    seen.add(entry.path);
  }
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
  const common = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' };
  for (const entry of sorted) {
    if (entry.type === 'directory') archive.entry({ ...common, name: `${entry.path.replace(/\/$/, '')}/`, type: 'directory', mode: entry.mode ?? 0o755 });
    else if (entry.type === 'symlink') archive.entry({ ...common, name: entry.path, type: 'symlink', linkname: entry.target, mode: 0o777 });
    else archive.entry({ ...common, name: entry.path, type: 'file', mode: entry.mode ?? 0o644 }, Buffer.from(entry.content));
  }
  archive.finalize();
  return done;
}

export async function buildLayer(entries: readonly LayerEntry[]): Promise<Layer> {
  const tar = await tarEntries(entries);
  // Node's gzip header has mtime 0 and no file name, like `gzip -n`.
  const blob = gzipSync(tar, { level: 9 });
  return { digest: sha256(blob), diffId: sha256(tar), blob, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
}
