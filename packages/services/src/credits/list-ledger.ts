import { ProblemError, type LedgerEntrySchema } from '@kontext/core';
import { listLedgerEntries, type LedgerEntryKind } from '@kontext/db';
import type { z } from 'zod';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';

type PublicLedgerEntry = z.infer<typeof LedgerEntrySchema>;

/** The tenant's credit ledger, newest first, each entry with the balance it left (the running balance). */
export async function listLedger({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; jobId?: string | undefined; kind?: LedgerEntryKind | undefined; cursor?: string | undefined; limit: number }>): Promise<{
  data: PublicLedgerEntry[];
  next_cursor: string | null;
}> {
  requireScope(input.auth, 'credits:read');
  let beforeId: number | undefined;
  if (input.cursor !== undefined) {
    if (!/^[1-9][0-9]{0,17}$/.test(input.cursor)) {
      throw new ProblemError('validation_failed', 'cursor must be the next_cursor of an earlier page', { issues: [{ field: 'cursor', message: 'is not a cursor of this list' }] });
    }
    beforeId = Number(input.cursor);
  }
  const rows = await listLedgerEntries(ctx.db, input.auth.tenantId, { jobId: input.jobId, kind: input.kind, beforeId, limit: input.limit + 1 });
  const page = rows.slice(0, input.limit);
  return {
    data: page.map((row) => ({
      id: String(row.id),
      at: row.createdAt.toISOString(),
      kind: row.kind,
      amount: row.amount,
      balance_after: row.balanceAfter,
      job_id: row.jobId,
      reason: row.reason,
    })),
    next_cursor: rows.length > input.limit ? String(page.at(-1)?.id) : null,
  };
}
