import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { apiKeys } from './schema.ts';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertApiKey(exec: Executor, row: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
  const [inserted] = await exec.insert(apiKeys).values(row).returning();
  if (!inserted) throw new Error('api key insert returned no row');
  return inserted;
}

export interface ActiveApiKey {
  id: string;
  tenantId: string;
  mode: 'live' | 'test';
}

/** One indexed lookup by hash; a key revoked at a future instant (rotation grace) still counts. */
export async function findActiveApiKeyByHash(exec: Executor, keyHash: string): Promise<ActiveApiKey | undefined> {
  const [row] = await exec
    .select({ id: apiKeys.id, tenantId: apiKeys.tenantId, mode: apiKeys.mode })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, keyHash), or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, sql`now()`))));
  return row;
}

export async function revokeApiKey(exec: Executor, id: string): Promise<boolean> {
  const rows = await exec
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

/** Throttled in SQL too: at most one write per key per interval, whatever the number of API processes. */
export async function touchApiKeyLastUsed(exec: Executor, id: string, minIntervalSeconds: number): Promise<void> {
  await exec
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, id),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - make_interval(secs => ${minIntervalSeconds})`)),
      ),
    );
}

export async function findApiKeyById(exec: Executor, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await exec.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row;
}
