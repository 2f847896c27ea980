import { createHash } from 'node:crypto';
import { newId, readImageHeader, type ImageFormat } from '@kontext/core';
import { insertOutputAsset, isUniqueViolation, markJobSucceeded, type JobRow, type WorkerLease } from '@kontext/db';
import { outputImageKey, thumbnailKeyFor } from '@kontext/storage';
import { makeThumbnail } from '../images/make-thumbnail.ts';
import type { VerbArgs } from '../context.ts';
import { changeJobState } from './change-job-state.ts';

export interface CompleteJobInput {
  lease: WorkerLease;
  tenantId: string;
  expected: { width: number; height: number; format: ImageFormat };
  output: Uint8Array;
  engine: string;
}

export type CompleteOutcome =
  | { completed: true; job: JobRow; assetId: string }
  | { completed: false; reason: 'lease_lost' }
  | { completed: false; reason: 'bad_output'; message: string };

class LeaseLost extends Error {}

/**
 * Stores the output and, in one transaction, records the asset and marks the job succeeded. If
 * this worker no longer holds the job (its lease was reclaimed), nothing is recorded and the blob
 * it wrote is removed, so a job ends with exactly one output asset.
 */
export async function completeJob({ ctx, input }: VerbArgs<CompleteJobInput>): Promise<CompleteOutcome> {
  const header = readImageHeader(input.output);
  const { expected } = input;
  if (!header || header.format !== expected.format || header.width !== expected.width || header.height !== expected.height) {
    const got = header ? `${header.format} ${header.width}x${header.height}` : 'bytes that are not an image';
    return {
      completed: false,
      reason: 'bad_output',
      message: `the engine returned ${got}; expected ${expected.format} ${expected.width}x${expected.height}`,
    };
  }
  const key = outputImageKey(input.tenantId, input.lease.jobId, input.lease.attempt, header.format);
  const thumbnailKey = thumbnailKeyFor(key);
  await Promise.all([
    ctx.storage.put(key, input.output, { contentType: `image/${header.format}` }),
    ctx.storage.put(thumbnailKey, await makeThumbnail(input.output), { contentType: 'image/jpeg' }),
  ]);
  const assetId = newId('asset');
  try {
    const job = await changeJobState(ctx, () => ctx.db.transaction(async (tx) => {
      await insertOutputAsset(tx, {
        id: assetId,
        tenantId: input.tenantId,
        kind: 'output',
        contentHash: createHash('sha256').update(input.output).digest('hex'),
        byteSize: input.output.byteLength,
        width: header.width,
        height: header.height,
        format: header.format,
        storageKey: key,
        thumbnailKey,
        producingJobId: input.lease.jobId,
        engine: input.engine,
      });
      const updated = await markJobSucceeded(tx, input.lease, assetId, input.engine);
      if (!updated) throw new LeaseLost();
      return updated;
    }));
    return { completed: true, job, assetId };
  } catch (error) {
    if (!(error instanceof LeaseLost) && !isUniqueViolation(error)) throw error;
    await Promise.all([ctx.storage.delete(key), ctx.storage.delete(thumbnailKey)]);
    return { completed: false, reason: 'lease_lost' };
  }
}
