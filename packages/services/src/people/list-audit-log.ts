import { isId, ProblemError, type AuditAction, type AuditEntrySchema } from '@kontext/core';
import { listAuditEntries } from '@kontext/db';
import type { z } from 'zod';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';

type PublicAuditEntry = z.infer<typeof AuditEntrySchema>;

/** The tenant's audit log, newest first; the cursor is the last entry's id. */
export async function listAuditLog({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; action?: AuditAction | undefined; cursor?: string | undefined; limit: number }>): Promise<{ data: PublicAuditEntry[]; next_cursor: string | null }> {
  requireScope(input.auth, 'audit:read');
  if (input.cursor !== undefined && !isId('auditEntry', input.cursor)) {
    throw new ProblemError('validation_failed', 'cursor must be the next_cursor of an earlier page', { issues: [{ field: 'cursor', message: 'is not a cursor of this list' }] });
  }
  const rows = await listAuditEntries(ctx.db, input.auth.tenantId, { action: input.action, beforeId: input.cursor, limit: input.limit + 1 });
  const page = rows.slice(0, input.limit);
  return {
    data: page.map((row) => ({
      id: row.id,
      at: row.createdAt.toISOString(),
      action: row.action,
      actor: { kind: row.actorKind, id: row.actorId, email: row.actorEmail },
      target: row.target,
      details: parseDetails(row.details),
      client_address: row.clientAddress,
      request_id: row.requestId,
    })),
    next_cursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** Details are JSON from the database: kept only where they are flat facts (they always are when written here). */
function parseDetails(value: unknown): PublicAuditEntry['details'] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const details: PublicAuditEntry['details'] = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === null || typeof field === 'string' || typeof field === 'number' || typeof field === 'boolean') details[key] = field;
  }
  return details;
}
