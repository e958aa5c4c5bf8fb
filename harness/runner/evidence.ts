import type { AuditEntry as TokenServiceAuditEntry } from '../../registry/index.ts';
import type { AuditEntry } from '../results/model.ts';

/** The report's view of a token-service decision (already redacted by the audit log). */
export function auditEvidence(entries: readonly TokenServiceAuditEntry[]): AuditEntry[] {
  return entries.map((e) => ({
    time: e.time,
    endpoint: `${e.method} /${e.endpoint} → ${e.status} ${e.outcome}`,
    ...(e.subject
      ? { subject: e.role ? `${e.subject} as role ${e.role}` : e.subject }
      : e.claimedServiceAccount
        ? { subject: `token claiming system:serviceaccount:${e.claimedServiceAccount.namespace}:${e.claimedServiceAccount.name} (unverified)` }
        : e.username
          ? { subject: e.username }
          : {}),
    ...(e.serviceAccount?.uid ? { serviceAccountUid: e.serviceAccount.uid } : {}),
    ...(e.pod ? { pod: `${e.pod.name} (${e.pod.uid})` } : {}),
    requestedScopes: [...e.requestedScopes],
    grantedScopes: [...e.grantedScopes],
    ...(e.denyReason ? { denyReason: e.denyReason } : {}),
  }));
}
