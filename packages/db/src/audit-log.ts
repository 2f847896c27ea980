import { and, desc, eq, lt } from 'drizzle-orm';
import type { AuditAction, AuditDetails } from '@kontext/core';
import type { Executor } from './client.ts';
import { auditLog } from './schema.ts';

// The audit log's one writer and its reader. Entries are written in the transaction of the
// change they record (pass that transaction as `exec`), and never updated.

export type AuditEntryRow = typeof auditLog.$inferSelect;

export interface AuditEntryInsert {
  id: string;
  tenantId: string;
  action: AuditAction;
  actorKind: AuditEntryRow['actorKind'];
  actorId: string | null;
  actorEmail: string | null;
  target: string | null;
  details: AuditDetails;
  clientAddress: string | null;
  requestId: string | null;
}

export async function insertAuditEntry(exec: Executor, entry: AuditEntryInsert): Promise<void> {
  await exec.insert(auditLog).values(entry);
}

/** A tenant's entries, newest first, before the cursor (an entry id: ids sort by time). */
export async function listAuditEntries(
  exec: Executor,
  tenantId: string,
  options: { action?: AuditAction | undefined; beforeId?: string | undefined; limit: number },
): Promise<AuditEntryRow[]> {
  return exec
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.tenantId, tenantId),
        options.action ? eq(auditLog.action, options.action) : undefined,
        options.beforeId ? lt(auditLog.id, options.beforeId) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(options.limit);
}
