import { IMAGE_MIME_TYPES, isId, ProblemError } from '@kontext/core';
import { findAsset } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';

/** An asset's bytes for its own tenant; 410 once retention deleted them. */
export async function readAssetContent({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; assetId: string }>): Promise<{ bytes: Uint8Array; contentType: string }> {
  requireScope(input.auth, 'jobs:read');
  const asset = isId('asset', input.assetId) ? await findAsset(ctx.db, input.auth.tenantId, input.assetId) : undefined;
  if (!asset) throw new ProblemError('not_found', `no asset ${input.assetId}`);
  if (asset.deletedAt) {
    throw new ProblemError('gone', `asset ${asset.id} was deleted on ${asset.deletedAt.toISOString().slice(0, 10)} by this account's retention policy`);
  }
  const bytes = await ctx.storage.get(asset.storageKey);
  if (!bytes) throw new ProblemError('gone', `the bytes of asset ${asset.id} are no longer stored`);
  return { bytes, contentType: IMAGE_MIME_TYPES[asset.format] };
}
