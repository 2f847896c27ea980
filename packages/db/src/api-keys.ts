import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { apiKeys, tenants } from './schema.ts';
import { secondsFromNow, secondsAgo } from './intervals.ts';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ApiKeyRecord = Omit<ApiKeyRow, 'keyHash'>;

export async function insertApiKey(exec: Executor, row: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
  const [inserted] = await exec.insert(apiKeys).values(row).returning();
  if (!inserted) throw new Error('api key insert returned no row');
  return inserted;
}

/** What a request needs to know about its key: who, what it may do, and the limits that apply. */
export interface ActiveApiKey {
  id: string;
  tenantId: string;
  mode: 'live' | 'test';
  scopes: string[];
  /** When the key stops working (end of a rotation's grace period), if scheduled. */
  expiresAt: Date | null;
  requestsPerMinute: number;
  allowedModels: string[] | null;
}

/** One indexed lookup by hash; a key revoked at a future instant (rotation grace) still counts. */
export async function findActiveApiKeyByHash(exec: Executor, keyHash: string): Promise<ActiveApiKey | undefined> {
  const [row] = await exec
    .select({
      id: apiKeys.id,
      tenantId: apiKeys.tenantId,
      mode: apiKeys.mode,
      scopes: apiKeys.scopes,
      expiresAt: apiKeys.revokedAt,
      requestsPerMinute: tenants.requestsPerMinutePerKey,
      allowedModels: tenants.allowedModels,
    })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.keyHash, keyHash), or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, sql`now()`))));
  return row;
}

/** Revokes a tenant's key now; false when it does not exist, belongs to another tenant or already stopped working. */
export async function revokeApiKey(exec: Executor, id: string, tenantId?: string): Promise<boolean> {
  const rows = await exec
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, id),
        tenantId === undefined ? undefined : eq(apiKeys.tenantId, tenantId),
        or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, sql`now()`)),
      ),
    )
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

/**
 * Schedules the end of a rotated key: it keeps working for `graceSeconds`, then stops. Conditional:
 * only a key that is still active and not already rotated can be rotated.
 */
export async function scheduleApiKeyRetirement(
  exec: Executor,
  input: { id: string; tenantId: string; replacedByKeyId: string; graceSeconds: number },
): Promise<ApiKeyRecord | undefined> {
  const [row] = await exec
    .update(apiKeys)
    .set({ revokedAt: secondsFromNow(input.graceSeconds), replacedByKeyId: input.replacedByKeyId })
    .where(
      and(
        eq(apiKeys.id, input.id),
        eq(apiKeys.tenantId, input.tenantId),
        isNull(apiKeys.replacedByKeyId),
        or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, sql`now()`)),
      ),
    )
    .returning();
  if (!row) return undefined;
  const { keyHash: _hash, ...record } = row;
  return record;
}

/** Throttled in SQL too: at most one write per key per interval, whatever the number of API processes. */
export async function touchApiKeyLastUsed(exec: Executor, id: string, minIntervalSeconds: number): Promise<void> {
  await exec
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, id),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, secondsAgo(minIntervalSeconds))),
      ),
    );
}

export async function findApiKeyById(exec: Executor, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await exec.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row;
}

export async function findTenantApiKey(exec: Executor, tenantId: string, id: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await exec.select().from(apiKeys).where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, tenantId)));
  if (!row) return undefined;
  const { keyHash: _hash, ...record } = row;
  return record;
}

/** A tenant's keys, newest first, never their hashes. */
export async function listTenantApiKeys(exec: Executor, tenantId: string, limit: number): Promise<ApiKeyRecord[]> {
  const rows = await exec.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(desc(apiKeys.id)).limit(limit);
  return rows.map(({ keyHash: _hash, ...record }) => record);
}
