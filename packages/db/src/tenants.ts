import { asc, eq, gt, sql } from 'drizzle-orm';
import type { Database, Executor } from './client.ts';
import { grantEntry } from './credit-ledger.ts';
import { tenants } from './schema.ts';

export type TenantRow = typeof tenants.$inferSelect;

export interface NewTenant {
  id: string;
  name: string;
  initialCredits: number;
  maxActiveJobs: number;
  requestsPerMinutePerKey: number;
  allowedModels: string[] | null;
  retentionDays: number;
}

/** Creates a tenant and, in the same statement, the ledger entry for its opening credits. */
export async function insertTenant(db: Database, tenant: NewTenant): Promise<TenantRow> {
  const client = db.$client;
  await client`
    WITH created AS (
      INSERT INTO tenants (id, name, credits_available, max_active_jobs, requests_per_minute_per_key, allowed_models, retention_days)
      VALUES (${tenant.id}, ${tenant.name}, ${tenant.initialCredits}, ${tenant.maxActiveJobs}, ${tenant.requestsPerMinutePerKey},
              ${tenant.allowedModels}::text[], ${tenant.retentionDays})
      RETURNING id, credits_available
    ), entry AS (${grantEntry(client, { tenants: 'created', amount: tenant.initialCredits, reason: 'opening balance' })})
    SELECT 1`;
  const row = await findTenant(db, tenant.id);
  if (!row) throw new Error('tenant vanished after insert');
  return row;
}

export async function findTenant(exec: Executor, id: string): Promise<TenantRow | undefined> {
  const [row] = await exec.select().from(tenants).where(eq(tenants.id, id));
  return row;
}

/** Tenants in id (creation) order after a cursor. */
export async function listTenants(exec: Executor, options: { after?: string; limit: number }): Promise<TenantRow[]> {
  return exec
    .select()
    .from(tenants)
    .where(options.after ? gt(tenants.id, options.after) : undefined)
    .orderBy(asc(tenants.id))
    .limit(options.limit);
}

export interface TenantLimitChanges {
  maxActiveJobs?: number;
  requestsPerMinutePerKey?: number;
  allowedModels?: string[] | null;
  retentionDays?: number;
}

export async function updateTenantLimits(exec: Executor, id: string, changes: TenantLimitChanges): Promise<TenantRow | undefined> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  if (Object.keys(set).length === 0) return findTenant(exec, id);
  const [row] = await exec.update(tenants).set(set).where(eq(tenants.id, id)).returning();
  return row;
}

export type CreditGrantOutcome =
  | { applied: true; balance: number; reserved: number }
  | { applied: false; reason: 'not_found' }
  | { applied: false; reason: 'insufficient'; balance: number };

/**
 * Adds (or, negative, removes) credits with a ledger entry, in one statement that refuses to take
 * the balance below zero.
 */
export async function grantCredits(db: Database, input: { tenantId: string; amount: number; reason: string }): Promise<CreditGrantOutcome> {
  const client = db.$client;
  const [row] = await client<{ balance: string; reserved: string }[]>`
    WITH updated AS (
      UPDATE tenants SET credits_available = credits_available + ${input.amount}
      WHERE id = ${input.tenantId} AND credits_available + ${input.amount} >= 0
      RETURNING id, credits_available, credits_reserved
    ), entry AS (${grantEntry(client, { tenants: 'updated', amount: input.amount, reason: input.reason })})
    SELECT credits_available::text AS balance, credits_reserved::text AS reserved FROM updated`;
  if (row) return { applied: true, balance: Number(row.balance), reserved: Number(row.reserved) };
  const tenant = await findTenant(db, input.tenantId);
  if (!tenant) return { applied: false, reason: 'not_found' };
  return { applied: false, reason: 'insufficient', balance: tenant.creditsAvailable };
}

export interface CreditBalances {
  available: number;
  reserved: number;
}

export async function findCreditBalances(exec: Executor, tenantId: string): Promise<CreditBalances | undefined> {
  const [row] = await exec.execute<{ available: string; reserved: string }>(sql`
    SELECT credits_available::text AS available, credits_reserved::text AS reserved FROM tenants WHERE id = ${tenantId}::text`);
  return row ? { available: Number(row.available), reserved: Number(row.reserved) } : undefined;
}
