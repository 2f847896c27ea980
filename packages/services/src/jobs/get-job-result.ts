import { bflStatusOf, isId, type GetResultResponse } from '@kontext/core';
import { findTenantJobWithOutput } from '@kontext/db';
import { requireScope, type AuthenticatedKey } from '../auth/authenticate-api-key.ts';
import type { VerbArgs } from '../context.ts';

/**
 * A job's status in BFL's shape, or null when this tenant has no such job (another tenant's job
 * is indistinguishable from a missing one). A Ready result carries a freshly signed sample URL.
 */
export async function getJobResult({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedKey; jobId: string }>): Promise<GetResultResponse | null> {
  requireScope(input.auth, 'jobs:read');
  if (!isId('job', input.jobId)) return null;
  const found = await findTenantJobWithOutput(ctx.db, input.auth.tenantId, input.jobId);
  if (!found) return null;
  const { job, outputStorageKey, outputDeletedAt } = found;

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

  let result: GetResultResponse['result'] = null;
  if (job.status === 'succeeded' && outputStorageKey && job.startedAt && job.finishedAt) {
    const startTime = job.startedAt.getTime() / 1000;
    const endTime = job.finishedAt.getTime() / 1000;
    result = {
      sample: outputDeletedAt ? null : await ctx.storage.signedUrl(outputStorageKey, { expiresInSeconds: ctx.settings.signedUrlTtlSeconds }),
      prompt: job.prompt,
      seed: job.seed,
      start_time: startTime,
      end_time: endTime,
      duration: Math.round((endTime - startTime) * 1000) / 1000,
    };
  }

  let progress: number | null = null;
  if (job.status === 'running') progress = job.progress ?? 0;
  else if (job.status === 'succeeded') progress = 1;

  return { id: job.id, status: bflStatusOf(job.status), result, progress, details };
}
