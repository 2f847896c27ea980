import { ProblemError, type ImageFormat } from '@kontext/core';
import { findJobInputAssets } from '@kontext/db';
import type { VerbArgs } from '../context.ts';

export interface LoadedInput {
  role: 'context' | 'reference';
  bytes: Uint8Array;
  format: ImageFormat;
  width: number;
  height: number;
}

/** A job's input images in order, read from storage. A missing blob fails the job for good. */
export async function loadJobInputs({ ctx, input }: VerbArgs<{ jobId: string }>): Promise<LoadedInput[]> {
  const assets = await findJobInputAssets(ctx.db, input.jobId);
  return Promise.all(
    assets.map(async (asset) => {
      const bytes = await ctx.storage.get(asset.storageKey);
      if (!bytes) {
        throw new ProblemError('internal', `input image ${asset.position + 1} is missing from storage`, { retryable: false });
      }
      return { role: asset.role, bytes, format: asset.format, width: asset.width, height: asset.height };
    }),
  );
}
