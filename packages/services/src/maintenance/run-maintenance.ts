import type { VerbArgs } from '../context.ts';
import { sweepJobs, type SweepReport } from '../jobs/sweep-jobs.ts';
import { relayWebhooks } from '../webhooks/relay-webhooks.ts';
import { purgeExpiredRecords } from './purge-expired-records.ts';
import { sweepExpiredAssets } from './sweep-expired-assets.ts';

export interface MaintenanceReport {
  jobs: SweepReport;
  webhooksRelayed: number;
  assetsDeleted: number;
  purged: { idempotencyKeys: number; jobEvents: number };
}

/**
 * One maintenance pass: expired leases and lost dispatches, webhook deliveries due for the queue
 * (a no-op where a dispatcher reads the outbox), retention, and expired records. Safe to run from
 * several places at once; each step works in bounded batches, so a backlog drains over passes.
 */
export async function runMaintenance({ ctx }: VerbArgs<Record<string, never>>): Promise<MaintenanceReport> {
  const jobs = await sweepJobs({ ctx, input: {} });
  const webhooksRelayed = await relayWebhooks({ ctx, input: {} });
  const { deleted: assetsDeleted } = await sweepExpiredAssets({ ctx, input: {} });
  const purged = await purgeExpiredRecords({ ctx, input: {} });
  return { jobs, webhooksRelayed, assetsDeleted, purged };
}
