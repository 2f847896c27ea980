import { isTerminal } from '@kontext/core';
import { claimJob as claimJobRow, findJob, type JobRow, type WorkerLease } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { changeJobState } from './change-job-state.ts';

export type ClaimOutcome =
  | { claimed: true; job: JobRow; lease: WorkerLease }
  | { claimed: false; reason: 'not_found' | 'finished' | 'held_elsewhere' | 'attempts_exhausted' };

/**
 * Claims a job with a lease. Of any number of workers holding messages for the same job, one
 * wins; the others learn why they lost and drop their (duplicate or stale) message.
 */
export async function claimJob({ ctx, input }: VerbArgs<{ jobId: string; workerId: string }>): Promise<ClaimOutcome> {
  const job = await changeJobState(ctx, () => claimJobRow(ctx.db, { ...input, leaseSeconds: ctx.settings.leaseSeconds }));
  if (job) {
    return { claimed: true, job, lease: { jobId: job.id, workerId: input.workerId, attempt: job.attempts } };
  }
  const current = await findJob(ctx.db, input.jobId);
  if (!current) return { claimed: false, reason: 'not_found' };
  if (isTerminal(current.status)) return { claimed: false, reason: 'finished' };
  if (current.attempts >= current.maxAttempts) return { claimed: false, reason: 'attempts_exhausted' };
  return { claimed: false, reason: 'held_elsewhere' };
}
