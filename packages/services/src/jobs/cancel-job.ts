import { isId, ProblemError, type GetResultResponse } from '@kontext/core';
import { cancelJob as cancelJobRow } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { changeJobState } from './change-job-state.ts';
import { findOwnJob } from './find-own-job.ts';
import { presentJobResult } from './present-job-result.ts';

/**
 * Cancels a queued or running job in one conditional UPDATE; its credits are refunded and its
 * active slot released by the same transaction. A running job's worker finds out at its next
 * progress write or heartbeat and stops the engine. A finished job cannot be canceled (409).
 */
export async function cancelJob({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; jobId: string }>): Promise<GetResultResponse> {
  requireScope(input.auth, 'jobs:write');
  // The UPDATE is scoped to the tenant; only a refusal needs the job read, to tell 404 from 409.
  const canceled =
    isId('job', input.jobId) &&
    (await changeJobState(
      ctx,
      () => cancelJobRow(ctx.db, input.auth.tenantId, input.jobId),
      (moved) => (moved ? [input.jobId] : []),
    ));
  if (!canceled) {
    const job = await findOwnJob(ctx, input.auth, input.jobId);
    throw new ProblemError('conflict', `job ${job.id} has already finished and cannot be canceled`, {
      extensions: { job_status: job.status },
    });
  }
  const result = await presentJobResult(ctx, input.auth.tenantId, input.jobId);
  if (!result) throw new ProblemError('not_found', `no job ${input.jobId}`);
  return result;
}
