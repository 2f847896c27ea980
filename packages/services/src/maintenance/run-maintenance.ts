import type { VerbArgs } from '../context.ts';
import { sweepJobs, type SweepReport } from '../jobs/sweep-jobs.ts';
import { relayWebhooks } from '../webhooks/relay-webhooks.ts';
import { purgeExpiredRecords } from './purge-expired-records.ts';
import { sweepExpiredAssets } from './sweep-expired-assets.ts';
import { resealWebhookSecrets } from './reseal-webhook-secrets.ts';
import { hasKeyRing } from '../create-context.ts';

export interface MaintenanceReport {
  jobs: SweepReport;
  webhooksRelayed: number;
  assetsDeleted: number;
  purged: { idempotencyKeys: number; jobEvents: number };
  secretsResealed: number;
}

/**
 * One maintenance pass: expired leases and lost dispatches, webhook deliveries due for the queue
 * (a no-op where a dispatcher reads the outbox), retention, expired records, and webhook secrets
 * sealed under an older key (where this process has the key ring). Safe to run from
 * several places at once; each step works in bounded batches, so a backlog drains over passes.
 */
export async function runMaintenance({ ctx }: VerbArgs<Record<string, never>>): Promise<MaintenanceReport> {
  const jobs = await sweepJobs({ ctx, input: {} });
  const webhooksRelayed = await relayWebhooks({ ctx, input: {} });
  const { deleted: assetsDeleted } = await sweepExpiredAssets({ ctx, input: {} });
  const purged = await purgeExpiredRecords({ ctx, input: {} });
  const { resealed: secretsResealed } = hasKeyRing(ctx) ? await resealWebhookSecrets({ ctx, input: {} }) : { resealed: 0 };
  return { jobs, webhooksRelayed, assetsDeleted, purged, secretsResealed };
}
