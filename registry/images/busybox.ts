import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { buildLayer, type Layer } from './layer.ts';
import { buildImage, type OciImage } from './oci.ts';

/**
 * The default test image: Debian's static busybox (`busybox-static`) running `sleep`, so a pod
 * reaches Running without any base image. One layer: bin/busybox + bin/sh and bin/sleep symlinks.
 */
export const HOST_BUSYBOX = '/bin/busybox';
export const DEFAULT_COMMAND = ['/bin/busybox', 'sleep', '3600'] as const;

export class BusyboxMissingError extends Error {
  constructor(path: string, options?: { cause?: unknown }) {
    super(`static busybox not found at ${path}: install it (apt-get install busybox-static) or pass busyboxPath`, options);
    this.name = 'BusyboxMissingError';
  }
}

const layers = new Map<string, Promise<Layer>>();

function busyboxLayer(path: string): Promise<Layer> {
  let layer = layers.get(path);
  if (!layer) {
    layer = (async () => {
      let binary: Buffer;
      try {
        binary = await readFile(path);
      } catch (error) {
        throw new BusyboxMissingError(path, { cause: error });
      }
      return buildLayer([
        { type: 'directory', path: 'bin' },
        { type: 'file', path: 'bin/busybox', content: binary, mode: 0o755 },
        { type: 'symlink', path: 'bin/sh', target: 'busybox' },
        { type: 'symlink', path: 'bin/sleep', target: 'busybox' },
        { type: 'directory', path: 'tmp', mode: 0o1777 },
      ]);
    })();
    layer.catch(() => layers.delete(path));
    layers.set(path, layer);
  }
  return layer;
}

export async function busyboxImage(options: { command?: readonly string[]; busyboxPath?: string; withIndex?: boolean } = {}): Promise<OciImage> {
  const layer = await busyboxLayer(options.busyboxPath ?? HOST_BUSYBOX);
  return buildImage([layer], { cmd: options.command ?? DEFAULT_COMMAND, env: ['PATH=/bin'], withIndex: options.withIndex ?? false });
}

/** A tag no other run uses: `<prefix>-<time base36>-<random>` (≤ 128 chars, tag grammar [\w][\w.-]*). */
export function uniqueTag(prefix = 'run'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
