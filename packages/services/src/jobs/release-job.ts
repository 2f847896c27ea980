import { jobQueueName } from '@kontext/core';
import { releaseJobLease, type WorkerLease } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { changeJobState } from './change-job-state.ts';

/**
 * Gives a claimed job back after a retryable failure: queued again (and its message released for
 * another worker after `retryDelaySeconds`) when attempts remain, failed with the reason otherwise.
 */
export async function releaseJob({
  ctx,
  input,
}: VerbArgs<{ lease: WorkerLease; enginePool: string; receipt: string; reason: string; retryDelaySeconds: number }>): Promise<
  'queued' | 'failed' | 'lease_lost'
> {
  // Through the door: a job that ends failed here gets its webhook now, not at the next maintenance pass.
  const status = await changeJobState(
    ctx,
    () => releaseJobLease(ctx.db, input.lease, input.reason.slice(0, 1000)),
    (ended) => (ended ? [input.lease.jobId] : []),
  );
  const queue = jobQueueName(input.enginePool);
  if (status === 'queued') {
    await ctx.queue.release(queue, input.receipt, input.retryDelaySeconds);
    return 'queued';
  }
  await ctx.queue.ack(queue, input.receipt);
  return status ?? 'lease_lost';
}
