import { LEASED_STATUS, sourcesOf, type JobStatus } from '@kontext/core';
import { and, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Executor } from './client.ts';
import { jobs } from './schema.ts';

// The one place a job's status changes. The WHERE clause of every move is built from the core
// state machine (`status = ANY(sourcesOf(to))`) plus who may make it, so a duplicate or late
// writer changes nothing and no caller can move a job along an edge the machine does not have.
//
// What a move sets off in the same transaction is done by triggers (packages/db/migrations):
// - 0002_accounting.sql, trigger `jobs_finalize_accounting` (function `finalize_job_accounting`):
//   on queued/running -> terminal, releases the active slots, settles or refunds the reservation
//   (the ledger's settle/refund entries, see credit-ledger.ts), writes the usage event and rollups;
// - 0004_job_transitions.sql, triggers `jobs_record_event` (`record_job_event`: the live-status
//   event, NOTIFY kontext_job_events) and `jobs_enqueue_webhooks` (`enqueue_job_webhooks`: the
//   webhook deliveries the change calls for, NOTIFY kontext_webhooks).
// packages/db/test/job-triggers.test.ts reads their definitions from the catalog and checks their
// status lists against core's; trigger-payloads.ts parses the JSON they write.

/**
 * The triggers on `jobs` that every move relies on (see above). A test checks this is the whole
 * list on the table, so a trigger added later is named here, where the moves are.
 */
export const JOB_TRIGGERS = ['jobs_finalize_accounting', 'jobs_record_event', 'jobs_enqueue_webhooks'] as const;

export type JobRow = typeof jobs.$inferSelect;

/** A running job held by this worker for this attempt: the guard on every worker-side write. */
export interface WorkerLease {
  jobId: string;
  workerId: string;
  attempt: number;
}

/** Who moves the job, and so what else must hold. */
export type TransitionGuard =
  /** The worker holding its lease, for this attempt. */
  | { by: 'lease'; lease: WorkerLease }
  /** A worker claiming it: queued, or running under an expired lease, with attempts left. */
  | { by: 'claim' }
  /** Its tenant (a cancel). */
  | { by: 'tenant'; tenantId: string }
  /** Maintenance, over rows it chose and locked itself. */
  | { by: 'maintenance'; where?: SQL };

/** The other columns a move sets, as values or SQL; never the status (the move's `to`) or the id. */
type JobChanges = Omit<PgUpdateSetSource<typeof jobs>, 'status' | 'id'>;

export interface TransitionRequest {
  jobId: string;
  to: JobStatus;
  guard: TransitionGuard;
  /** The other columns the move sets (times, lease, error, output). */
  set?: JobChanges;
  /** A further condition of this move (e.g. attempts left). */
  where?: SQL;
}

/** Moves one job if the state machine and the guard allow it; the moved row, or undefined. */
export async function transitionJob(exec: Executor, request: TransitionRequest): Promise<JobRow | undefined> {
  const [row] = await exec
    .update(jobs)
    .set({ ...request.set, status: request.to })
    .where(and(eq(jobs.id, request.jobId), allowed(request.to, request.guard), request.where))
    .returning();
  return row;
}

/** Moves every job among `jobIds` that may move (maintenance's set-wise moves); the moved rows. */
export async function transitionJobs(
  exec: Executor,
  request: { jobIds: string[]; to: JobStatus; guard: Extract<TransitionGuard, { by: 'maintenance' }>; set?: JobChanges },
): Promise<JobRow[]> {
  if (request.jobIds.length === 0) return [];
  return exec
    .update(jobs)
    .set({ ...request.set, status: request.to })
    .where(and(inArray(jobs.id, request.jobIds), allowed(request.to, request.guard)))
    .returning();
}

/** The lease guard alone, for writes that keep the status (heartbeats, progress). */
export function heldBy(lease: WorkerLease): SQL {
  return and(
    eq(jobs.id, lease.jobId),
    eq(jobs.status, LEASED_STATUS),
    eq(jobs.leaseOwner, lease.workerId),
    eq(jobs.attempts, lease.attempt),
  ) as SQL;
}

function allowed(to: JobStatus, guard: TransitionGuard): SQL {
  const legal = inArray(jobs.status, sourcesOf(to));
  switch (guard.by) {
    case 'lease':
      return and(legal, heldBy(guard.lease)) as SQL;
    case 'claim':
      return and(
        legal,
        lt(jobs.attempts, jobs.maxAttempts),
        // Not running, or running under a lease that expired: nobody holds it now.
        or(sql`${jobs.status} <> ${LEASED_STATUS}`, lt(jobs.leaseExpiresAt, sql`now()`)),
      ) as SQL;
    case 'tenant':
      return and(legal, eq(jobs.tenantId, guard.tenantId)) as SQL;
    case 'maintenance':
      return and(legal, guard.where) as SQL;
  }
}
