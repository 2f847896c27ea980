import { jobQueueName } from '@kontext/core';
import { findStaleDispatches, sweepExpiredJobs } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { relayDispatch } from './relay-dispatch.ts';
import { relayWebhooks } from '../webhooks/relay-webhooks.ts';

export interface SweepReport {
  requeued: number;
  failedLeases: number;
  expiredQueued: number;
  relayed: number;
}

const BATCH = 200;

/**
 * Maintenance pass: requeues jobs whose worker stopped heart-beating, fails those out of
 * attempts or waiting past the queue timeout, and relays dispatches whose send was lost.
 * Safe to run from several processes at once (SKIP LOCKED, guarded updates, idempotent sends).
 */
export async function sweepJobs({ ctx }: VerbArgs<Record<string, never>>): Promise<SweepReport> {
  const swept = await sweepExpiredJobs(ctx.db, ctx.settings.queueTimeoutSeconds, BATCH);
  let relayed = 0;
  for (const job of swept.requeued) {
    if (await relayDispatch({ ctx, input: { jobId: job.jobId, queue: jobQueueName(job.enginePool) } })) relayed++;
  }
  const stale = await findStaleDispatches(ctx.db, ctx.settings.dispatchGraceSeconds, BATCH);
  for (const job of stale) {
    if (await relayDispatch({ ctx, input: { jobId: job.jobId, queue: jobQueueName(job.enginePool) } })) relayed++;
  }
  // Jobs failed here emit webhooks too; relay them now rather than on the next maintenance run.
  if (swept.failedLeases.length + swept.expiredQueued.length > 0) await relayWebhooks({ ctx, input: {} });
  const report = {
    requeued: swept.requeued.length,
    failedLeases: swept.failedLeases.length,
    expiredQueued: swept.expiredQueued.length,
    relayed,
  };
  if (report.requeued + report.failedLeases + report.expiredQueued > 0) ctx.log.info('sweep', { ...report });
  return report;
}
