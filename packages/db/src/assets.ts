import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { assets } from './schema.ts';

export type AssetRow = typeof assets.$inferSelect;
export type NewAsset = typeof assets.$inferInsert;

/**
 * Inputs are stored once per tenant and content hash: a second upload of the same bytes returns
 * the existing asset, its retention clock restarted (and, if retention had deleted it, revived:
 * the caller has just stored the blob again). Race-safe: the unique index decides.
 */
export async function upsertInputAsset(exec: Executor, row: NewAsset & { kind: 'input' }): Promise<AssetRow> {
  const [upserted] = await exec
    .insert(assets)
    .values(row)
    .onConflictDoUpdate({
      target: [assets.tenantId, assets.contentHash],
      targetWhere: sql`${assets.kind} = 'input'`,
      set: { lastUsedAt: sql`now()`, deletedAt: null },
    })
    .returning();
  if (!upserted) throw new Error('input asset upsert returned no row');
  return upserted;
}

/** Restarts the retention clock of assets a new job uses by reference. */
export async function touchAssets(exec: Executor, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await exec.update(assets).set({ lastUsedAt: sql`now()` }).where(inArray(assets.id, ids));
}

export interface ExpiredAsset {
  id: string;
  storageKey: string;
  thumbnailKey: string | null;
}

/**
 * Assets past their tenant's retention (counted from last use), locked for this sweep: the caller
 * deletes their blobs, then marks them with markAssetsDeleted in the same transaction.
 */
export async function lockExpiredAssets(exec: Executor, limit: number): Promise<ExpiredAsset[]> {
  const rows = await exec.execute<{ id: string; storage_key: string; thumbnail_key: string | null }>(sql`
    SELECT a.id, a.storage_key, a.thumbnail_key
    FROM ${assets} a JOIN tenants t ON t.id = a.tenant_id
    WHERE a.deleted_at IS NULL AND a.last_used_at < now() - make_interval(days => t.retention_days)
    ORDER BY a.last_used_at
    LIMIT ${limit}
    FOR UPDATE OF a SKIP LOCKED`);
  return rows.map((row) => ({ id: row.id, storageKey: row.storage_key, thumbnailKey: row.thumbnail_key }));
}

/** Tombstones: the rows stay (lineage stays whole), the blobs are gone. */
export async function markAssetsDeleted(exec: Executor, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await exec.update(assets).set({ deletedAt: sql`now()` }).where(inArray(assets.id, ids));
}

export async function insertOutputAsset(exec: Executor, row: NewAsset & { kind: 'output' }): Promise<AssetRow> {
  const [inserted] = await exec.insert(assets).values(row).returning();
  if (!inserted) throw new Error('output asset insert returned no row');
  return inserted;
}

/** A tenant's asset by id; another tenant's asset is simply absent. */
export async function findAsset(exec: Executor, tenantId: string, id: string): Promise<AssetRow | undefined> {
  const [row] = await exec.select().from(assets).where(and(eq(assets.tenantId, tenantId), eq(assets.id, id)));
  return row;
}
