import { markJobFailed, type JobRow, type WorkerLease } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { changeJobState } from './change-job-state.ts';

const MAX_ERROR_MESSAGE = 1000;

/** Ends a job as failed with a message the client will see; a no-op if the lease was lost. */
export async function failJob({
  ctx,
  input,
}: VerbArgs<{ lease: WorkerLease; message: string; engine: string | null }>): Promise<JobRow | undefined> {
  return changeJobState(ctx, () => markJobFailed(ctx.db, input.lease, input.message.slice(0, MAX_ERROR_MESSAGE), input.engine));
}
