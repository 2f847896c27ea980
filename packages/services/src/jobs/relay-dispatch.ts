import { deleteDispatchOutbox } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { errorFields } from '../logger.ts';

/**
 * Sends a job's queue message and clears its outbox row. A failed send leaves the row for the
 * sweeper; a crash after the send but before the delete only causes a duplicate message, which
 * the claim guard drops.
 */
export async function relayDispatch({ ctx, input }: VerbArgs<{ jobId: string; queue: string }>): Promise<boolean> {
  try {
    await ctx.queue.send(input.queue, { jobId: input.jobId });
  } catch (error) {
    ctx.log.warn('job dispatch failed; the sweeper will retry', { jobId: input.jobId, queue: input.queue, ...errorFields(error) });
    return false;
  }
  await deleteDispatchOutbox(ctx.db, input.jobId);
  return true;
}
