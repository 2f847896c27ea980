import { CloudEnvironmentSchema, openCloudRuntime } from '@kontext/cloud';
import { parseEnvironment } from '@kontext/core';
import { runMaintenance, type MaintenanceReport } from '@kontext/services';
import { z } from 'zod';

// Scheduled maintenance as a Lambda function (every minute): expired leases and lost job
// dispatches, webhook deliveries due for the queue, retention, expired records. Passes repeat
// within one invocation while they still find work, up to a time budget, so a backlog drains
// without waiting a minute per batch.

const MaintenanceLambdaEnvironmentSchema = CloudEnvironmentSchema.and(
  z.object({
    LEASE_SECONDS: z.coerce.number().positive().max(3600).default(30),
    MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
    QUEUE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(6 * 3600),
    /** Stop starting new passes after this long; the schedule runs again in a minute. */
    TIME_BUDGET_SECONDS: z.coerce.number().positive().max(900).default(50),
  }),
);

const env = parseEnvironment(MaintenanceLambdaEnvironmentSchema, process.env);
const runtime = await openCloudRuntime(env, {
  service: 'maintenance',
  settings: {
    leaseSeconds: env.LEASE_SECONDS,
    maxAttempts: env.MAX_ATTEMPTS,
    queueTimeoutSeconds: env.QUEUE_TIMEOUT_SECONDS,
  },
});

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
