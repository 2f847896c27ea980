import { isId, ProblemError, type AssetSchema } from '@kontext/core';
import { findTenant, findAsset } from '@kontext/db';
import type { z } from 'zod';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { signedUrlOf } from './signed-url-of.ts';

const DAY = 24 * 3600 * 1000;

/** An asset's record with a fresh signed URL; retention may have deleted its bytes (a tombstone). */
export async function getAsset({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; assetId: string }>): Promise<z.infer<typeof AssetSchema>> {
  requireScope(input.auth, 'jobs:read');
  const asset = isId('asset', input.assetId) ? await findAsset(ctx.db, input.auth.tenantId, input.assetId) : undefined;
  if (!asset) throw new ProblemError('not_found', `no asset ${input.assetId}`);
  const tenant = await findTenant(ctx.db, asset.tenantId);
  const deleted = asset.deletedAt !== null;
  return {
    id: asset.id,
    kind: asset.kind,
    format: asset.format,
    width: asset.width,
    height: asset.height,
    byte_size: asset.byteSize,
    content_hash: asset.contentHash,
    producing_job_id: asset.producingJobId,
    engine: asset.engine,
    created_at: asset.createdAt.toISOString(),
    last_used_at: asset.lastUsedAt.toISOString(),
    expires_at: deleted || !tenant ? null : new Date(asset.lastUsedAt.getTime() + tenant.retentionDays * DAY).toISOString(),
    deleted_at: asset.deletedAt?.toISOString() ?? null,
    url: deleted ? null : await signedUrlOf(ctx, asset.storageKey),
    thumbnail_url: deleted ? null : await signedUrlOf(ctx, asset.thumbnailKey),
  };
}
