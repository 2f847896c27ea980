import { openCloudRuntime } from '@kontext/cloud';
import { platformSettingsOf, runMaintenance, type MaintenanceReport } from '@kontext/services';
import { MAINTENANCE_LAMBDA_SETTINGS, readSettings } from '@kontext/settings';

// Scheduled maintenance as a Lambda function (every minute): expired leases and lost job
// dispatches, webhook deliveries due for the queue, retention, expired records. Passes repeat
// within one invocation while they still find work, up to a time budget, so a backlog drains
// without waiting a minute per batch.

const env = readSettings(MAINTENANCE_LAMBDA_SETTINGS, process.env);
const runtime = await openCloudRuntime(env, { service: 'maintenance', settings: platformSettingsOf(env) });

export async function handler(): Promise<{ passes: number; last: MaintenanceReport }> {
  const deadline = Date.now() + env.TIME_BUDGET_SECONDS * 1000;
  let passes = 0;
  let last: MaintenanceReport;
  do {
    last = await runMaintenance({ ctx: runtime.ctx, input: {} });
    passes++;
  } while (foundWork(last) && Date.now() < deadline);
  runtime.log.info('maintenance', { passes, ...flatten(last) });
  return { passes, last };
}

function foundWork(report: MaintenanceReport): boolean {
  return Object.values(flatten(report)).some((count) => count > 0);
}

function flatten(report: MaintenanceReport): Record<string, number> {
  return {
    requeued: report.jobs.requeued,
    failedLeases: report.jobs.failedLeases,
    expiredQueued: report.jobs.expiredQueued,
    dispatchesRelayed: report.jobs.relayed,
    webhooksRelayed: report.webhooksRelayed,
    assetsDeleted: report.assetsDeleted,
    idempotencyKeysPurged: report.purged.idempotencyKeys,
    jobEventsPurged: report.purged.jobEvents,
  };
}
