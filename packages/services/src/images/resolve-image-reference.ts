import { isId } from '@kontext/core';
import { findJob, findAsset, type AssetRow } from '@kontext/db';
import type { ServiceContext } from '../context.ts';

// An image field may name an image the platform already holds instead of carrying it: an asset id
// (`ast_...`), or a job id (`job_...`, meaning that job's output). Nothing is uploaded, decoded,
// re-encoded or copied; the job's lineage edge points at the existing asset.

export type ReferenceResolution = { ok: true; asset: AssetRow } | { ok: false; message: string };

export function isImageReference(value: string): boolean {
  return isId('asset', value) || isId('job', value);
}

export async function resolveImageReference(ctx: ServiceContext, tenantId: string, reference: string): Promise<ReferenceResolution> {
  // Another account's asset or job reads exactly like one that does not exist.
  const missing = { ok: false, message: `names no image in this account (${reference})` } as const;
  let assetId = reference;
  if (isId('job', reference)) {
    const job = await findJob(ctx.db, reference);
    if (!job || job.tenantId !== tenantId) return missing;
    if (job.status !== 'succeeded' || !job.outputAssetId) {
      return { ok: false, message: `names job ${reference}, which has no output image (it is ${job.status})` };
    }
    assetId = job.outputAssetId;
  }
  const asset = await findAsset(ctx.db, tenantId, assetId);
  if (!asset) return missing;
  if (asset.deletedAt) {
    return {
      ok: false,
      message: `names ${reference}, which expired under this account's retention policy on ${asset.deletedAt.toISOString().slice(0, 10)}; upload the image again`,
    };
  }
  return { ok: true, asset };
}
