import type { Layer } from './layer.ts';
import { sha256 } from './layer.ts';

/** Media types (opencontainers/image-spec media-types.md v1.1). */
export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
} as const;

export interface Blob {
  readonly digest: string;
  readonly bytes: Buffer;
  readonly mediaType: string;
}

export interface ImageConfigOptions {
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env?: readonly string[];
  readonly architecture?: string;
  readonly os?: string;
}

/** An image ready to push: blobs (layers + config), the manifest, and optionally an index over it. */
export interface OciImage {
  readonly layers: readonly Layer[];
  readonly config: Blob;
  readonly manifest: Blob;
  readonly index?: Blob;
  /** Digest a pull by tag resolves to (the index when there is one, else the manifest). */
  readonly digest: string;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

export function buildImage(layers: readonly Layer[], options: ImageConfigOptions & { withIndex?: boolean } = {}): OciImage {
  const architecture = options.architecture ?? 'amd64';
  const os = options.os ?? 'linux';
  // config.md REQUIRED: architecture, os, rootfs.type="layers", rootfs.diff_ids = sha256 of each
  // UNCOMPRESSED layer tar in order (a gzip digest here fails unpack: "wrong diff id calculated").
  const configBytes = json({
    created: '1970-01-01T00:00:00Z',
    architecture,
    os,
    config: {
      ...(options.env ? { Env: [...options.env] } : { Env: ['PATH=/bin:/usr/bin'] }),
      ...(options.entrypoint ? { Entrypoint: [...options.entrypoint] } : {}),
      ...(options.cmd ? { Cmd: [...options.cmd] } : {}),
    },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
  });
  const config: Blob = { digest: sha256(configBytes), bytes: configBytes, mediaType: MEDIA_TYPES.config };
  const manifestBytes = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
    layers: layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.blob.length })),
  });
  const manifest: Blob = { digest: sha256(manifestBytes), bytes: manifestBytes, mediaType: MEDIA_TYPES.manifest };
  if (!options.withIndex) return { layers, config, manifest, digest: manifest.digest };
  const indexBytes = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [{ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length, platform: { architecture, os } }],
  });
  const index: Blob = { digest: sha256(indexBytes), bytes: indexBytes, mediaType: MEDIA_TYPES.index };
  return { layers, config, manifest, index, digest: index.digest };
}
