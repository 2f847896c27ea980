import type postgres from 'postgres';
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { creditLedger } from './schema.ts';

// Every entry of `credit_ledger` is written here, one function per kind, so "the balance is the sum
// of the ledger" has one writer to check. Each function returns a statement to run as a CTE of the
// statement that moves the credits, so the entry and the balance it records commit together:
//
//   WITH updated AS (UPDATE tenants ... RETURNING id, credits_available)
//   , entry AS (${grantEntry(sql, { tenants: 'updated', ... })})
//
// The settle and refund entries of a finished job are written by the trigger
// `jobs_finalize_accounting` (packages/db/migrations/0002_accounting.sql), in the transaction of
// whatever move finishes the job; they mirror reserveEntry: `settle` records 0 (the reserved credits
// are spent), `refund` gives them back. packages/db/test/credit-ledger.test.ts checks, over random
// mixes of every path, that a tenant's available credits equal the sum of its entries.

/** The kinds of entry and who writes each (the `ledger_entry_kind` enum). */
export const LEDGER_WRITERS = {
  grant: 'grantEntry',
  reserve: 'reserveEntry',
  settle: 'trigger jobs_finalize_accounting',
  refund: 'trigger jobs_finalize_accounting',
} as const;

export type LedgerEntryKind = keyof typeof LEDGER_WRITERS;

type SqlClient = postgres.Sql | postgres.TransactionSql;
type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * Credits added (negative: removed) by the operator or as a tenant's opening balance, one entry per
 * row of the CTE `tenants` (columns `id`, `credits_available` after the change). A zero amount
 * writes no entry (a tenant opened with no credits).
 */
export function grantEntry(sql: SqlClient, entry: { tenants: string; amount: number; reason: string }): Fragment {
  return sql`
    INSERT INTO credit_ledger (tenant_id, kind, amount, balance_after, reason)
    SELECT id, 'grant', ${entry.amount}::bigint, credits_available, ${entry.reason}::text
    FROM ${sql(entry.tenants)} WHERE ${entry.amount}::bigint <> 0`;
}

/**
 * A submitted job's reservation: `cost` credits moved from available to reserved, recorded as
 * -cost, for the job of the CTE `jobs` (column `id`) and the tenant of the CTE `tenants`. Free and
 * test-mode jobs reserve nothing and write no entry.
 */
export function reserveEntry(sql: SqlClient, entry: { tenants: string; jobs: string; cost: number }): Fragment {
  return sql`
    INSERT INTO credit_ledger (tenant_id, job_id, kind, amount, balance_after, reason)
    SELECT t.id, j.id, 'reserve', -${entry.cost}::bigint, t.credits_available, 'job submitted'
    FROM ${sql(entry.jobs)} j, ${sql(entry.tenants)} t WHERE ${entry.cost}::bigint > 0`;
}

/** A tenant's ledger, newest first, before the cursor (an entry id). Each entry carries the balance it left. */
export async function listLedgerEntries(
  exec: Executor,
  tenantId: string,
  options: { jobId?: string | undefined; kind?: LedgerEntryKind | undefined; beforeId?: number | undefined; limit: number },
): Promise<(typeof creditLedger.$inferSelect)[]> {
  return exec
    .select()
    .from(creditLedger)
    .where(
      and(
        eq(creditLedger.tenantId, tenantId),
        options.jobId ? eq(creditLedger.jobId, options.jobId) : undefined,
        options.kind ? eq(creditLedger.kind, options.kind) : undefined,
        options.beforeId !== undefined ? lt(creditLedger.id, options.beforeId) : undefined,
      ),
    )
    .orderBy(desc(creditLedger.id))
    .limit(options.limit);
}
