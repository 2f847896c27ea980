import { newId, type AuditAction, type AuditDetails } from '@kontext/core';
import { insertAuditEntry, type Executor } from '@kontext/db';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';

// Every audit entry is written through recordAudit, inside the transaction of the change it
// records, with who did it and from where.

/** Where a request came from, for the audit log and the session list. */
export interface RequestOrigin {
  requestId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
}

export const NO_ORIGIN: RequestOrigin = { requestId: null, clientAddress: null, userAgent: null };

export type AuditActor =
  | { kind: 'user'; id: string; email: string }
  | { kind: 'api_key'; id: string }
  | { kind: 'operator' }
  | { kind: 'anonymous' };

/** The actor of a principal; undefined (no principal) is the operator. */
export function actorOf(auth: AuthenticatedPrincipal | undefined): AuditActor {
  if (!auth) return { kind: 'operator' };
  if (auth.member) return { kind: 'user', id: auth.member.userId, email: auth.member.email };
  return { kind: 'api_key', id: auth.id };
}

export interface AuditRecord {
  tenantId: string;
  action: AuditAction;
  actor: AuditActor;
  target?: string | null;
  details?: AuditDetails;
  origin: RequestOrigin;
}

export async function recordAudit(exec: Executor, record: AuditRecord): Promise<void> {
  const { actor } = record;
  await insertAuditEntry(exec, {
    id: newId('auditEntry'),
    tenantId: record.tenantId,
    action: record.action,
    actorKind: actor.kind,
    actorId: actor.kind === 'user' || actor.kind === 'api_key' ? actor.id : null,
    actorEmail: actor.kind === 'user' ? actor.email : null,
    target: record.target ?? null,
    details: record.details ?? {},
    clientAddress: record.origin.clientAddress,
    requestId: record.origin.requestId,
  });
}
