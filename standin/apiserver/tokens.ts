import type { LocalServiceAccountIssuer } from '../../harness/identity/local-issuer.ts';
import { badRequest, conflict, invalid, notFound } from './status-errors.ts';
import type { ObjectStore } from './store.ts';
import { isObject, nowRfc3339, str, type JsonObject, type KubeObject } from './types.ts';
import { fieldInvalid } from './validation.ts';

/**
 * TokenRequest (`POST .../serviceaccounts/<sa>/token`) as k/k pkg/registry/core/serviceaccount/storage/token.go
 * does it (1.32+ shape, with ServiceAccountTokenPodNodeInfo and ServiceAccountTokenJTI GA), and the
 * OIDC discovery documents of pkg/serviceaccount/openidmetadata.go + pkg/routes/openidmetadata.go.
 * Signing goes through the one minting path pullproof has (harness/identity/local-issuer.ts).
 */

const TOKEN_REQUEST_GK = { group: 'authentication.k8s.io', kind: 'TokenRequest' };
/** pkg/apis/authentication/validation/validation.go MinTokenAgeSec. */
const MIN_TOKEN_SECONDS = 600;
/** pkg/serviceaccount/claims.go WarnOnlyBoundTokenExpirationSeconds and the one-year extension (ExpirationExtensionSeconds). */
const WARN_ONLY_SECONDS = 3607;
const EXTENDED_SECONDS = 365 * 24 * 60 * 60;

export interface TokenIssuer {
  readonly issuer: LocalServiceAccountIssuer;
  /** The API audiences (`--api-audiences`, defaulting to the issuer): the default token audience. */
  readonly apiAudiences: readonly string[];
}

function ref(object: KubeObject): { name: string; uid: string } {
  return { name: object.metadata.name, uid: str(object.metadata.uid) ?? '' };
}

/** GroupVersionKind.String(): `<group>/<version>, Kind=<kind>`. */
function gvkString(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return `${group ?? ''}/${version ?? ''}, Kind=${kind}`;
}

export async function createToken(store: ObjectStore, tokens: TokenIssuer, namespace: string, name: string, body: JsonObject): Promise<JsonObject> {
  const meta = isObject(body.metadata) ? body.metadata : {};
  if (str(meta.name) && meta.name !== name) throw invalid(TOKEN_REQUEST_GK, name, [fieldInvalid('metadata.name', meta.name, 'must match the service account name if specified')]);
  if (str(meta.namespace) && meta.namespace !== namespace) throw invalid(TOKEN_REQUEST_GK, name, [fieldInvalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified')]);
  const account = store.get('serviceaccounts', namespace, name);
  if (!account) throw notFound({ group: '', resource: 'serviceaccounts' }, name);
  const accountUid = str(account.metadata.uid) ?? '';
  // TokenRequestServiceAccountUIDValidation (beta, on): a request naming another UID conflicts.
  if (str(meta.uid) && meta.uid !== accountUid) {
    throw conflict({ group: 'authentication.k8s.io', resource: 'TokenRequest' }, name, `the UID in the token request (${str(meta.uid) ?? ''}) does not match the UID of the service account (${accountUid})`);
  }
  const spec = isObject(body.spec) ? body.spec : {};
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.filter((a): a is string => typeof a === 'string') : [...tokens.apiAudiences];
  // pkg/apis/authentication/v1/defaults.go: expirationSeconds defaults to 3600 (60 minutes).
  const expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  if (expirationSeconds < MIN_TOKEN_SECONDS) throw invalid(TOKEN_REQUEST_GK, '', [fieldInvalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes')]);
  if (expirationSeconds > 2 ** 32) throw invalid(TOKEN_REQUEST_GK, '', [fieldInvalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds')]);

  let pod: KubeObject | undefined;
  let node: { name: string; uid: string } | undefined;
  let secret: KubeObject | undefined;
  const bound = isObject(spec.boundObjectRef) ? spec.boundObjectRef : undefined;
  if (bound) {
    const kind = str(bound.kind) ?? '';
    const apiVersion = str(bound.apiVersion) ?? '';
    const boundName = str(bound.name) ?? '';
    const core = apiVersion === 'v1';
    let uid: string;
    if (core && kind === 'Pod') {
      pod = store.get('pods', namespace, boundName);
      if (!pod) throw notFound({ group: '', resource: 'pods' }, boundName);
      const podSpec = isObject(pod.spec) ? pod.spec : {};
      if (podSpec.serviceAccountName !== name) throw badRequest(`cannot bind token for serviceaccount ${JSON.stringify(name)} to pod running with different serviceaccount name.`);
      uid = str(pod.metadata.uid) ?? '';
      const nodeName = str(podSpec.nodeName);
      if (nodeName) {
        // A missing Node still yields its name in the claims, without a uid.
        const nodeObject = store.get('nodes', undefined, nodeName);
        node = nodeObject ? ref(nodeObject) : { name: nodeName, uid: '' };
      }
    } else if (core && kind === 'Node') {
      const nodeObject = store.get('nodes', undefined, boundName);
      if (!nodeObject) throw notFound({ group: '', resource: 'nodes' }, boundName);
      node = ref(nodeObject);
      uid = node.uid;
    } else if (core && kind === 'Secret') {
      secret = store.get('secrets', namespace, boundName);
      if (!secret) throw notFound({ group: '', resource: 'secrets' }, boundName);
      uid = str(secret.metadata.uid) ?? '';
    } else throw badRequest(`cannot bind token to object of type ${gvkString(apiVersion, kind)}`);
    const wantedUid = str(bound.uid);
    if (wantedUid && wantedUid !== uid) {
      throw conflict({ group: '', resource: kind }, boundName, `the UID in the bound object reference (${wantedUid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
  }

  // --service-account-extend-token-expiration (default true): a pod-bound 3607 s token for the API audiences lives a year, warning after 3607 s.
  const now = Math.floor(Date.now() / 1000);
  const extend = pod !== undefined && expirationSeconds === WARN_ONLY_SECONDS && audiences.every((a) => tokens.apiAudiences.includes(a));
  const token = await tokens.issuer.mint({
    namespace,
    serviceAccountName: name,
    serviceAccountUid: accountUid,
    audience: audiences,
    expiresInSeconds: extend ? EXTENDED_SECONDS : expirationSeconds,
    issuedAt: now,
    ...(extend ? { warnAfter: now + WARN_ONLY_SECONDS } : {}),
    ...(pod ? { pod: ref(pod) } : {}),
    ...(node ? { node } : {}),
    ...(secret ? { secret: ref(secret) } : {}),
  });
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, uid: accountUid, creationTimestamp: nowRfc3339() },
    spec: { audiences, expirationSeconds, ...(bound ? { boundObjectRef: bound } : {}) },
    // The status expiry is the requested one even for an extended token (token.go: nowTime + spec.expirationSeconds).
    status: { token, expirationTimestamp: new Date((now + expirationSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
}

/** openIDConfigJSON: issuer, jwks_uri, response_types_supported, subject_types_supported, signing algs (sorted). */
export function openIdConfiguration(issuer: LocalServiceAccountIssuer, jwksUri: string): JsonObject {
  return {
    issuer: issuer.issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [issuer.algorithm],
  };
}

/** openIDKeysetJSON: go-jose's JSONWebKey marshalling (use, kty, kid, alg, n, e). */
export function jwks(issuer: LocalServiceAccountIssuer): JsonObject {
  return {
    keys: issuer.jwks().keys.map((k) => ({ use: 'sig', kty: k.kty ?? 'RSA', kid: k.kid ?? issuer.keyId, alg: k.alg ?? issuer.algorithm, n: k.n ?? '', e: k.e ?? '' })),
  };
}
