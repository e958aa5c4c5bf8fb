import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { buildImage, buildLayer, busyboxImage, MEDIA_TYPES, parseBearerChallenge, uniqueTag } from '../../../registry/index.ts';
import { LayerError } from '../../../registry/images/layer.ts';

const hex = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function listTar(tar: Buffer): Promise<{ name: string; type: string; mode: number; uid: number; mtime: number }[]> {
  const out: { name: string; type: string; mode: number; uid: number; mtime: number }[] = [];
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      out.push({ name: header.name, type: header.type ?? '', mode: header.mode ?? 0, uid: header.uid ?? -1, mtime: header.mtime?.getTime() ?? -1 });
      stream.on('end', next);
      stream.resume();
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  reader.end(tar);
  await done;
  return out;
}

describe('OCI layers and images', () => {
  it('builds byte-identical layers from the same entries in any order', async () => {
    const a = await buildLayer([{ type: 'file', path: 'b', content: 'x' }, { type: 'directory', path: 'a' }]);
    const b = await buildLayer([{ type: 'directory', path: 'a' }, { type: 'file', path: 'b', content: 'x' }]);
    expect(a.digest).toBe(b.digest);
    expect(a.blob.equals(b.blob)).toBe(true);
  });

  it('uses sha256 of the uncompressed tar as diff_id and of the gzip blob as digest', async () => {
    const layer = await buildLayer([{ type: 'file', path: 'hello', content: 'hi', mode: 0o755 }]);
    expect(layer.digest).toBe(hex(layer.blob));
    expect(layer.diffId).toBe(hex(gunzipSync(layer.blob)));
    expect(await listTar(gunzipSync(layer.blob))).toEqual([{ name: 'hello', type: 'file', mode: 0o755, uid: 0, mtime: 0 }]);
  });

  it('refuses absolute, escaping and duplicate paths', async () => {
    await expect(buildLayer([{ type: 'file', path: '/etc/passwd', content: '' }])).rejects.toBeInstanceOf(LayerError);
    await expect(buildLayer([{ type: 'file', path: 'a/../../x', content: '' }])).rejects.toBeInstanceOf(LayerError);
    await expect(buildLayer([{ type: 'file', path: 'a', content: '' }, { type: 'directory', path: 'a' }])).rejects.toBeInstanceOf(LayerError);
  });

  it('writes a config with diff_ids and a manifest whose descriptors match the blobs', async () => {
    const layer = await buildLayer([{ type: 'file', path: 'x', content: 'y' }]);
    const image = buildImage([layer], { cmd: ['/x'], withIndex: true });
    const config = JSON.parse(image.config.bytes.toString()) as { rootfs: { type: string; diff_ids: string[] }; config: { Cmd: string[] }; os: string; architecture: string };
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [layer.diffId] });
    expect(config.config.Cmd).toEqual(['/x']);
    const manifest = JSON.parse(image.manifest.bytes.toString()) as { schemaVersion: number; mediaType: string; config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
    expect(manifest).toMatchObject({ schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config: { digest: hex(image.config.bytes), size: image.config.bytes.length } });
    expect(manifest.layers).toEqual([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.blob.length }]);
    const index = JSON.parse(image.index?.bytes.toString() ?? '{}') as { manifests: { digest: string; platform: unknown }[] };
    expect(index.manifests).toEqual([{ mediaType: MEDIA_TYPES.manifest, digest: image.manifest.digest, size: image.manifest.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }]);
    expect(image.digest).toBe(hex(image.index?.bytes ?? Buffer.alloc(0)));
  });

  it('packs the static busybox with sh and sleep links and runs sleep by default', async () => {
    const image = await busyboxImage();
    const entries = await listTar(gunzipSync(image.layers[0]?.blob ?? Buffer.alloc(0)));
    expect(entries.map((e) => `${e.name}:${e.type}`)).toEqual(['bin/:directory', 'bin/busybox:file', 'bin/sh:symlink', 'bin/sleep:symlink', 'tmp/:directory']);
    expect((JSON.parse(image.config.bytes.toString()) as { config: { Cmd: string[] } }).config.Cmd).toEqual(['/bin/busybox', 'sleep', '3600']);
    expect(uniqueTag()).not.toBe(uniqueTag());
    expect(uniqueTag('x')).toMatch(/^x-[a-z0-9]+-[0-9a-f]{6}$/);
  });
});

describe('Bearer challenge parsing', () => {
  it('reads realm, service, scope and error (RFC 6750 §3)', () => {
    expect(parseBearerChallenge('Bearer realm="http://127.0.0.1:1/token",service="svc",scope="repository:a/b:pull,push",error="insufficient_scope"')).toEqual({
      realm: 'http://127.0.0.1:1/token', service: 'svc', scope: 'repository:a/b:pull,push', error: 'insufficient_scope',
    });
    expect(parseBearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseBearerChallenge(null)).toBeUndefined();
  });
});
