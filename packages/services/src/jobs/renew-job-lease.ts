import { renewJobLease as renewLeaseRow, type WorkerLease } from '@kontext/db';
import type { VerbArgs } from '../context.ts';

/** Heartbeat: false means the job is no longer this worker's, and its work must stop. */
export async function renewJobLease({ ctx, input }: VerbArgs<{ lease: WorkerLease }>): Promise<boolean> {
  return renewLeaseRow(ctx.db, input.lease, ctx.settings.leaseSeconds);
}
