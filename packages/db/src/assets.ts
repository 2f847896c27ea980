import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { assets } from './schema.ts';

export type AssetRow = typeof assets.$inferSelect;
export type NewAsset = typeof assets.$inferInsert;

/**
 * Inputs are stored once per tenant and content hash: a second upload of the same bytes returns
 * the existing asset. Race-safe: the unique index decides, the loser reads the winner's row.
 */
export async function upsertInputAsset(exec: Executor, row: NewAsset & { kind: 'input' }): Promise<AssetRow> {
  const [inserted] = await exec
    .insert(assets)
    .values(row)
    .onConflictDoNothing({ target: [assets.tenantId, assets.contentHash], where: sql`${assets.kind} = 'input'` })
    .returning();
  if (inserted) return inserted;
  const [existing] = await exec
    .select()
    .from(assets)
    .where(and(eq(assets.tenantId, row.tenantId), eq(assets.contentHash, row.contentHash), eq(assets.kind, 'input')));
  if (!existing) throw new Error('input asset vanished between insert and read');
  return existing;
}

export async function insertOutputAsset(exec: Executor, row: NewAsset & { kind: 'output' }): Promise<AssetRow> {
  const [inserted] = await exec.insert(assets).values(row).returning();
  if (!inserted) throw new Error('output asset insert returned no row');
  return inserted;
}

export async function findAssetsByIds(exec: Executor, ids: string[]): Promise<AssetRow[]> {
  if (ids.length === 0) return [];
  return exec.select().from(assets).where(inArray(assets.id, ids));
}

export async function findAsset(exec: Executor, tenantId: string, id: string): Promise<AssetRow | undefined> {
  const [row] = await exec.select().from(assets).where(and(eq(assets.tenantId, tenantId), eq(assets.id, id)));
  return row;
}
