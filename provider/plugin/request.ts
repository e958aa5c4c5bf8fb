import { PluginError } from './errors.ts';

/** credentialprovider.kubelet.k8s.io/v1 CredentialProviderRequest (kubelet@v0.36.0 types.go). */
export const API_VERSION = 'credentialprovider.kubelet.k8s.io/v1';

export interface CredentialProviderRequest {
  readonly image: string;
  readonly serviceAccountToken: string | undefined;
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
}

export interface CredentialProviderResponse {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: 'CredentialProviderResponse';
  readonly cacheKeyType: 'Image' | 'Registry' | 'Global';
  /** Go duration text, e.g. "290s"; "0s" = kubelet must not cache. */
  readonly cacheDuration: string;
  readonly auth: Readonly<Record<string, { readonly username: string; readonly password: string }>>;
}

/** Parses stdin. Error messages never quote field values other than apiVersion/kind/image. */
export function parseRequest(stdin: string): CredentialProviderRequest {
  if (stdin.trim() === '') throw new PluginError('request', 'empty stdin: expected one CredentialProviderRequest JSON object from kubelet');
  let body: unknown;
  try {
    body = JSON.parse(stdin);
  } catch (error) {
    throw new PluginError('request', `stdin is not valid JSON (${(error as Error).message.split('\n')[0]}): expected one CredentialProviderRequest object`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new PluginError('request', 'stdin JSON is not an object: expected a CredentialProviderRequest');
  const r = body as Record<string, unknown>;
  // Plugins "should prefer responding with the same apiVersion they were sent"; we speak only v1.
  if (r.apiVersion !== API_VERSION) {
    throw new PluginError('request', `request apiVersion ${JSON.stringify(r.apiVersion ?? null)} is not supported: this plugin speaks ${API_VERSION}; set apiVersion: ${API_VERSION} in the provider's config entry`);
  }
  if (r.kind !== 'CredentialProviderRequest') throw new PluginError('request', `request kind ${JSON.stringify(r.kind ?? null)} is not CredentialProviderRequest`);
  if (typeof r.image !== 'string' || r.image === '') throw new PluginError('request', 'request has no image: kubelet always sends the image being pulled');
  const token = r.serviceAccountToken;
  if (token !== undefined && typeof token !== 'string') throw new PluginError('request', 'request serviceAccountToken is not a string');
  const annotations = r.serviceAccountAnnotations ?? {};
  if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations) || Object.values(annotations).some((v) => typeof v !== 'string')) {
    throw new PluginError('request', 'request serviceAccountAnnotations must map strings to strings');
  }
  return { image: r.image, serviceAccountToken: token || undefined, serviceAccountAnnotations: annotations as Record<string, string> };
}

/** The image's registry, like kubelet's parseRegistry: text before the first "/". */
export function registryOf(image: string): string {
  return image.split('/')[0] ?? image;
}
