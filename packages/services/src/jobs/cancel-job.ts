import { isId, ProblemError, type GetResultResponse } from '@kontext/core';
import { cancelJob as cancelJobRow, findJob } from '@kontext/db';
import { requireScope, type AuthenticatedKey } from '../auth/authenticate-api-key.ts';
import type { VerbArgs } from '../context.ts';
import { relayJobWebhooks } from '../webhooks/relay-webhooks.ts';
import { presentJobResult } from './present-job-result.ts';

/**
 * Cancels a queued or running job in one conditional UPDATE; its credits are refunded and its
 * active slot released by the same transaction. A running job's worker finds out at its next
 * progress write or heartbeat and stops the engine. A finished job cannot be canceled (409).
 */
export async function cancelJob({ ctx, input }: VerbArgs<{ auth: AuthenticatedKey; jobId: string }>): Promise<GetResultResponse> {
  requireScope(input.auth, 'jobs:write');
  const job = isId('job', input.jobId) ? await findJob(ctx.db, input.jobId) : undefined;
  if (!job || job.tenantId !== input.auth.tenantId) throw new ProblemError('not_found', `no job ${input.jobId}`);
  const canceled = await cancelJobRow(ctx.db, job.tenantId, job.id);
  if (!canceled) {
    throw new ProblemError('conflict', `job ${job.id} has already finished and cannot be canceled`, {
      extensions: { job_status: (await findJob(ctx.db, job.id))?.status ?? job.status },
    });
  }
  await relayJobWebhooks(ctx, job.id);
  const result = await presentJobResult(ctx, job.tenantId, job.id);
  if (!result) throw new ProblemError('not_found', `no job ${input.jobId}`);
  return result;
}
