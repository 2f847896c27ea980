import { jobQueueName } from '@kontext/core';
import { findStaleDispatches, sweepExpiredJobs } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { changeJobState } from './change-job-state.ts';
import { relayDispatch } from './relay-dispatch.ts';

export interface SweepReport {
  requeued: number;
  failedLeases: number;
  expiredQueued: number;
  relayed: number;
}

const BATCH = 200;

/**
 * Maintenance pass: requeues jobs whose worker stopped heart-beating, fails those out of
 * attempts or waiting past the queue timeout, and relays dispatches whose send was lost. Its
 * moves go through the door, so the webhooks of the jobs it fails are relayed at once.
 * Safe to run from several processes at once (SKIP LOCKED, guarded updates, idempotent sends).
 */
export async function sweepJobs({ ctx }: VerbArgs<Record<string, never>>): Promise<SweepReport> {
  const swept = await changeJobState(
    ctx,
    () => sweepExpiredJobs(ctx.db, ctx.settings.queueTimeoutSeconds, BATCH),
    (moved) => [...moved.requeued.map((job) => job.jobId), ...moved.failedLeases, ...moved.expiredQueued],
  );
  const stale = await findStaleDispatches(ctx.db, ctx.settings.dispatchGraceSeconds, BATCH);
  let relayed = 0;
  for (const job of [...swept.requeued, ...stale]) {
    if (await relayDispatch({ ctx, input: { jobId: job.jobId, queue: jobQueueName(job.enginePool) } })) relayed++;
  }
  const report = {
    requeued: swept.requeued.length,
    failedLeases: swept.failedLeases.length,
    expiredQueued: swept.expiredQueued.length,
    relayed,
  };
  if (report.requeued + report.failedLeases + report.expiredQueued > 0) ctx.log.info('sweep', { ...report });
  return report;
}
