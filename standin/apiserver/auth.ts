import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { importSPKI, jwtVerify } from 'jose';

/**
 * Authentication as kube-apiserver's union authenticator does it for the credentials a kind
 * cluster hands out: x509 client certificates signed by the client CA (user = CN, groups = O;
 * k8s.io/apiserver pkg/authentication/request/x509/x509.go CommonNameUserConversion), bootstrap
 * tokens (`system:bootstrap:<id>`, plugin/pkg/auth/authenticator/token/bootstrap/bootstrap.go) and
 * service-account JWTs this server signed. No credentials = `system:anonymous` (--anonymous-auth
 * defaults to true); presented but invalid credentials = 401.
 */

export interface User {
  readonly name: string;
  readonly groups: readonly string[];
}

export type AuthResult = { readonly kind: 'user'; readonly user: User } | { readonly kind: 'anonymous' } | { readonly kind: 'invalid'; readonly why: string };

export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<AuthResult>;
}

export function createAuthenticator(options: { bootstrapTokens: readonly string[]; issuer: string; apiAudiences: readonly string[]; publicKeyPem: string }): Authenticator {
  const bootstrap = new Map(options.bootstrapTokens.map((t) => [t, t.split('.')[0] ?? '']));
  const keyPromise = importSPKI(options.publicKeyPem, 'RS256');
  return {
    async authenticate(req) {
      const socket = req.socket;
      if (socket instanceof TLSSocket) {
        const cert = socket.getPeerCertificate();
        if (cert && Object.keys(cert).length > 0) {
          if (!socket.authorized) return { kind: 'invalid', why: `client certificate not signed by the client CA (${String(socket.authorizationError)})` };
          const org = cert.subject.O;
          const groups = Array.isArray(org) ? org : org ? [org] : [];
          const cn = cert.subject.CN;
          return { kind: 'user', user: { name: (Array.isArray(cn) ? cn[0] : cn) ?? '', groups: [...groups, 'system:authenticated'] } };
        }
      }
      const header = req.headers.authorization;
      if (!header) return { kind: 'anonymous' };
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) return { kind: 'invalid', why: 'Authorization header is not a bearer token' };
      const token = match[1];
      const id = bootstrap.get(token);
      if (id) return { kind: 'user', user: { name: `system:bootstrap:${id}`, groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'] } };
      try {
        const { payload } = await jwtVerify(token, await keyPromise, { issuer: options.issuer, audience: [...options.apiAudiences] });
        const sub = typeof payload.sub === 'string' ? payload.sub : '';
        const ns = sub.split(':')[2] ?? '';
        if (!sub.startsWith('system:serviceaccount:')) return { kind: 'invalid', why: 'token subject is not a service account' };
        return { kind: 'user', user: { name: sub, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] } };
      } catch {
        // The reason is not logged: it could echo token material.
        return { kind: 'invalid', why: 'bearer token is neither a bootstrap token nor a service-account token of this issuer' };
      }
    },
  };
}

/** Paths system:public-info-viewer grants to everyone (kubeadm's default RBAC). */
export const PUBLIC_PATHS: readonly string[] = ['/healthz', '/livez', '/readyz', '/version'];
