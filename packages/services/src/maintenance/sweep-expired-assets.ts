import { lockExpiredAssets, markAssetsDeleted } from '@kontext/db';
import type { VerbArgs } from '../context.ts';

const BATCH = 200;

/**
 * Retention: deletes the blobs of assets unused for longer than their tenant keeps images, and
 * keeps their rows as tombstones so lineage stays whole. Blobs go first, inside the transaction
 * that holds the rows; a crash in between leaves rows unmarked and the next sweep deletes again
 * (deleting a missing blob is not an error). Safe from several processes (SKIP LOCKED).
 */
export async function sweepExpiredAssets({ ctx }: VerbArgs<Record<string, never>>): Promise<{ deleted: number }> {
  const deleted = await ctx.db.transaction(async (tx) => {
    const expired = await lockExpiredAssets(tx, BATCH);
    for (const asset of expired) {
      await ctx.storage.delete(asset.storageKey);
      if (asset.thumbnailKey) await ctx.storage.delete(asset.thumbnailKey);
    }
    await markAssetsDeleted(
      tx,
      expired.map((asset) => asset.id),
    );
    return expired.length;
  });
  if (deleted > 0) ctx.log.info('retention deleted assets', { deleted });
  return { deleted };
}
