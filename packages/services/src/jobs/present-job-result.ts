import { bflStatusOf, isId, type GetResultResponse } from '@kontext/core';
import { findTenantJobWithOutput } from '@kontext/db';
import type { ServiceContext } from '../context.ts';
import { bflResultOf } from './bfl-result-of.ts';

/**
 * A tenant's job in BFL's shape, or null when the tenant has no such job (another tenant's job is
 * indistinguishable from a missing one). A Ready result carries a freshly signed sample URL.
 * Callers decide which scope the read needs: polling needs jobs:read, while the answer to a
 * write (a cancel, a submit held with Prefer: wait) only needs the scope of that write.
 */
export async function presentJobResult(ctx: ServiceContext, tenantId: string, jobId: string): Promise<GetResultResponse | null> {
  if (!isId('job', jobId)) return null;
  const found = await findTenantJobWithOutput(ctx.db, tenantId, jobId);
  if (!found) return null;
  const { job } = found;

  const details: NonNullable<GetResultResponse['details']> = {
    status: job.status,
    model: job.model,
    engine: job.engine,
    width: job.width,
    height: job.height,
    output_format: job.outputFormat,
  };
  if (job.status === 'failed' && job.errorMessage) details.error = job.errorMessage;
  if (job.status === 'canceled') details.reason = 'canceled';
  if (job.promptUpsampling) details.prompt_upsampling = job.promptUpsampling;
  // The text the engine ran; result.prompt stays the prompt as sent, as BFL's clients expect.
  if (job.upsampledPrompt !== null) details.upsampled_prompt = job.upsampledPrompt;

  const result = job.status === 'succeeded' && found.outputStorageKey ? await bflResultOf(ctx, found) : null;

  let progress: number | null = null;
  if (job.status === 'running') progress = job.progress ?? 0;
  else if (job.status === 'succeeded') progress = 1;

  return { id: job.id, status: bflStatusOf(job.status), result, progress, details };
}
