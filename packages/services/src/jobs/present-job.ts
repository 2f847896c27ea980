import { bflStatusOf, type JobRecord } from '@kontext/core';
import type { JobInputEdge, JobWithOutput } from '@kontext/db';
import type { ServiceContext } from '../context.ts';
import { signedUrlOf } from '../assets/signed-url-of.ts';

const ms = (from: Date | null, to: Date | null) => (from && to ? Math.max(0, to.getTime() - from.getTime()) : null);

/** The full job record: parameters, lineage edges, output (with fresh signed URLs), timings, cost. */
export async function presentJob(ctx: ServiceContext, found: JobWithOutput, inputs: JobInputEdge[]): Promise<JobRecord> {
  const { job } = found;
  const outputExpired = found.outputDeletedAt !== null;
  return {
    id: job.id,
    status: job.status,
    bfl_status: bflStatusOf(job.status),
    mode: job.mode,
    model: job.model,
    prompt: job.prompt,
    seed: job.seed,
    aspect_ratio: job.aspectRatio,
    width: job.width,
    height: job.height,
    output_format: job.outputFormat,
    steps: job.steps,
    guidance: job.guidance,
    safety_tolerance: job.safetyTolerance,
    cost: job.costCredits,
    input_mp: job.inputMegapixels,
    output_mp: job.outputMegapixels,
    progress: job.progress,
    attempts: job.attempts,
    engine: job.engine,
    error: job.errorMessage,
    ...(job.promptUpsampling ? { prompt_upsampling: job.promptUpsampling } : {}),
    ...(job.upsampledPrompt !== null ? { upsampled_prompt: job.upsampledPrompt } : {}),
    inputs: inputs.map((edge) => ({
      asset_id: edge.assetId,
      role: edge.role,
      position: edge.position,
      producing_job_id: edge.producingJobId,
      width: edge.width,
      height: edge.height,
      expired: edge.deletedAt !== null,
    })),
    output: job.outputAssetId
      ? {
          asset_id: job.outputAssetId,
          url: outputExpired ? null : await signedUrlOf(ctx, found.outputStorageKey),
          thumbnail_url: outputExpired ? null : await signedUrlOf(ctx, found.thumbnailKey),
          expired: outputExpired,
        }
      : null,
    parent_job_id: job.parentJobId,
    root_job_id: job.rootJobId,
    depth: job.depth,
    webhook_url: job.webhookUrl,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
    queue_ms: ms(job.createdAt, job.startedAt),
    engine_ms: ms(job.startedAt, job.finishedAt),
  };
}
