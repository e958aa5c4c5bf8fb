import { createHash } from 'node:crypto';

/**
 * kubelet's credential cache keys (k/k pkg/credentialprovider/plugin/plugin.go): cryptobyte
 * uint16-length-prefixed strings. The key is binary; we expose its bytes (hex) and its parts.
 */

class KeyBuilder {
  readonly #chunks: Buffer[] = [];

  addString(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    // cryptobyte AddUint16LengthPrefixed fails above 65535 bytes; kubelet then logs and returns no creds.
    if (bytes.length > 0xffff) throw new Error(`cache key component is ${bytes.length} bytes, over cryptobyte's uint16 length prefix`);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length);
    this.#chunks.push(length, bytes);
    return this;
  }

  // addAnnotations: uint32 count, then sorted key/value pairs, each length-prefixed.
  addAnnotations(annotations: Readonly<Record<string, string>>): this {
    const keys = Object.keys(annotations).sort();
    const count = Buffer.alloc(4);
    count.writeUInt32BE(keys.length);
    this.#chunks.push(count);
    for (const key of keys) this.addString(key).addString(annotations[key] ?? '');
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

/** getHashIfNotEmpty: `sha256:<hex>` of the token, "" for no token. */
export function tokenHash(token: string): string {
  return token ? `sha256:${createHash('sha256').update(token).digest('hex')}` : '';
}

export interface ServiceAccountCacheKeyParams {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly serviceAccountUid: string;
  /** Only the annotations passed to the plugin (required + present optional keys). */
  readonly annotations: Readonly<Record<string, string>>;
  /** v1.34+: "Token" adds the token hash to the key; "" on v1.33 (no cacheType). */
  readonly cacheType: string;
  readonly serviceAccountToken: string;
}

/**
 * generateServiceAccountCacheKey: namespace, SA name, SA UID, annotations; with cacheType Token
 * also "token" + sha256 of the token. Pod name/UID are *not* part of the key.
 */
export function serviceAccountCacheKey(p: ServiceAccountCacheKeyParams): Buffer {
  const builder = new KeyBuilder().addString(p.namespace).addString(p.serviceAccountName).addString(p.serviceAccountUid).addAnnotations(p.annotations);
  if (p.cacheType === 'Token') builder.addString('token').addString(tokenHash(p.serviceAccountToken));
  return builder.build();
}

/** generateCacheKey(baseKey, serviceAccountCacheKey): both length-prefixed; the SA part is "" outside SA mode. */
export function cacheKey(baseKey: string, saKey: Buffer | undefined): Buffer {
  const base = new KeyBuilder().addString(baseKey).build();
  const sa = saKey ?? Buffer.alloc(0);
  if (sa.length > 0xffff) throw new Error('service-account cache key over 65535 bytes');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(sa.length);
  return Buffer.concat([base, length, sa]);
}

/** plugin.go parseRegistry: the text before the first "/" (host[:port]). */
export function parseRegistry(image: string): string {
  return image.split('/')[0] ?? '';
}

/** The base key for a response's cacheKeyType, or undefined when kubelet would reject the type. */
export function baseCacheKey(cacheKeyType: string, image: string, globalKey: string): string | undefined {
  switch (cacheKeyType) {
    case 'Image':
      return image;
    case 'Registry':
      return parseRegistry(image);
    case 'Global':
      return globalKey;
    default:
      return undefined;
  }
}
