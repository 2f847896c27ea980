import { and, eq, lt, sql } from 'drizzle-orm';
import { LEASED_STATUS, WAITING_STATUS } from '@kontext/core';
import type { Database, Executor } from './client.ts';
import { dispatchOutbox, jobs } from './schema.ts';
import { secondsFromNow, secondsAgo } from './intervals.ts';
import { heldBy, transitionJob, transitionJobs, type JobRow, type WorkerLease } from './job-transitions.ts';

// A job's moves after admission: claims and leases (every worker-side write is guarded by the
// lease), completion, release, cancel, the lease sweep, and the dispatch outbox. Every status
// change goes through transitionJob (job-transitions.ts).

export interface PendingDispatch {
  jobId: string;
  enginePool: string;
}

export async function deleteDispatchOutbox(exec: Executor, jobId: string): Promise<void> {
  await exec.delete(dispatchOutbox).where(eq(dispatchOutbox.jobId, jobId));
}

/** Outbox rows older than the grace period: their send was lost (a crash between commit and send). */
export async function findStaleDispatches(
  exec: Executor,
  olderThanSeconds: number,
  limit: number,
): Promise<PendingDispatch[]> {
  return exec
    .select({ jobId: dispatchOutbox.jobId, enginePool: jobs.enginePool })
    .from(dispatchOutbox)
    .innerJoin(jobs, eq(jobs.id, dispatchOutbox.jobId))
    .where(lt(dispatchOutbox.createdAt, secondsAgo(olderThanSeconds)))
    .orderBy(dispatchOutbox.createdAt)
    .limit(limit);
}

/**
 * Claims a job for a worker: queued, or running under an expired lease, with attempts left.
 * One conditional UPDATE, so of any number of concurrent claimers exactly one wins.
 */
export async function claimJob(
  exec: Executor,
  input: { jobId: string; workerId: string; leaseSeconds: number },
): Promise<JobRow | undefined> {
  return transitionJob(exec, {
    jobId: input.jobId,
    to: 'running',
    guard: { by: 'claim' },
    set: {
      attempts: sql`${jobs.attempts} + 1`,
      leaseOwner: input.workerId,
      leaseExpiresAt: secondsFromNow(input.leaseSeconds),
      startedAt: sql`coalesce(${jobs.startedAt}, now())`,
      progress: 0,
    },
  });
}

/** Extends the lease; false when the worker no longer holds the job (reclaimed, canceled, finished). */
export async function renewJobLease(exec: Executor, lease: WorkerLease, leaseSeconds: number): Promise<boolean> {
  const rows = await exec
    .update(jobs)
    .set({ leaseExpiresAt: secondsFromNow(leaseSeconds) })
    .where(heldBy(lease))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

export async function recordJobProgress(
  exec: Executor,
  lease: WorkerLease,
  progress: number,
  engine: string,
): Promise<boolean> {
  const rows = await exec
    .update(jobs)
    .set({ progress, engine })
    .where(heldBy(lease))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/** What a worker learned from the prompt upsampler, for the one job it holds. */
export type PromptUpsamplingResult = { outcome: 'applied'; upsampledPrompt: string } | { outcome: 'failed' };

/**
 * Records what became of a job's requested prompt upsampling, once: only by the worker holding
 * the lease, and only while the job still says `unavailable` (what the submit wrote), so a
 * retried attempt keeps the first answer and never asks again. False when nothing was written:
 * the lease is gone (or an outcome was already there, which a holder never asks to overwrite).
 */
export async function recordPromptUpsampling(exec: Executor, lease: WorkerLease, result: PromptUpsamplingResult): Promise<boolean> {
  const rows = await exec
    .update(jobs)
    .set({ promptUpsampling: result.outcome, upsampledPrompt: result.outcome === 'applied' ? result.upsampledPrompt : null })
    .where(and(heldBy(lease), eq(jobs.promptUpsampling, 'unavailable')))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/**
 * Marks the job succeeded with its output asset. Call inside a transaction together with the
 * asset insert: when the guard fails (the lease was lost) the caller rolls back the asset too.
 */
export async function markJobSucceeded(
  exec: Executor,
  lease: WorkerLease,
  outputAssetId: string,
  engine: string,
): Promise<JobRow | undefined> {
  return transitionJob(exec, {
    jobId: lease.jobId,
    to: 'succeeded',
    guard: { by: 'lease', lease },
    set: { outputAssetId, engine, progress: 1, finishedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null },
  });
}

export async function markJobFailed(
  exec: Executor,
  lease: WorkerLease,
  errorMessage: string,
  engine: string | null,
): Promise<JobRow | undefined> {
  return transitionJob(exec, {
    jobId: lease.jobId,
    to: 'failed',
    guard: { by: 'lease', lease },
    set: { errorMessage, engine, finishedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null },
  });
}

export interface SweepResult {
  requeued: PendingDispatch[];
  failedLeases: string[];
  expiredQueued: string[];
}

/**
 * The lease sweeper's pass, in one transaction: running jobs whose lease expired go back to
 * queued (with a new outbox row so a message is sent again) or, with no attempts left, to
 * failed. Queued jobs older than the queue timeout fail too, so nothing stays Pending forever.
 * The rows are locked (SKIP LOCKED) before they move, so several sweepers never share one.
 */
export async function sweepExpiredJobs(db: Database, queueTimeoutSeconds: number, limit: number): Promise<SweepResult> {
  return db.transaction(async (tx) => {
    const expired = await tx
      .select({ id: jobs.id, exhausted: sql<boolean>`${jobs.attempts} >= ${jobs.maxAttempts}` })
      .from(jobs)
      .where(and(eq(jobs.status, LEASED_STATUS), lt(jobs.leaseExpiresAt, sql`now()`)))
      .orderBy(jobs.leaseExpiresAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    const maintenance = { by: 'maintenance' } as const;
    const failedLeases = await transitionJobs(tx, {
      jobIds: expired.filter((job) => job.exhausted).map((job) => job.id),
      to: 'failed',
      guard: maintenance,
      set: {
        finishedAt: sql`now()`,
        leaseOwner: null,
        leaseExpiresAt: null,
        errorMessage: sql`'the worker running this job stopped responding ' || ${jobs.attempts} || ' time(s); giving up'`,
      },
    });
    const requeued = await transitionJobs(tx, {
      jobIds: expired.filter((job) => !job.exhausted).map((job) => job.id),
      to: WAITING_STATUS,
      guard: maintenance,
      set: { queuedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null, progress: null },
    });
    if (requeued.length > 0) {
      await tx.insert(dispatchOutbox).values(requeued.map((job) => ({ jobId: job.id }))).onConflictDoNothing();
    }
    const staleQueued = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.status, WAITING_STATUS), lt(jobs.queuedAt, secondsAgo(queueTimeoutSeconds))))
      .orderBy(jobs.queuedAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    const timedOut = await transitionJobs(tx, {
      jobIds: staleQueued.map((job) => job.id),
      to: 'failed',
      guard: maintenance,
      set: { finishedAt: sql`now()`, errorMessage: `no worker started this job within ${queueTimeoutSeconds} seconds` },
    });
    return {
      requeued: requeued.map((job) => ({ jobId: job.id, enginePool: job.enginePool })),
      failedLeases: failedLeases.map((job) => job.id),
      expiredQueued: timedOut.map((job) => job.id),
    };
  });
}

/**
 * Hands a job back after a retryable failure (storage or engine hiccup, graceful shutdown):
 * queued again if it has attempts left, failed otherwise. Guarded by the lease like every
 * worker-side write. Returns the status the job ended in, or undefined when the lease was lost.
 */
export async function releaseJobLease(
  exec: Executor,
  lease: WorkerLease,
  reason: string,
): Promise<'queued' | 'failed' | undefined> {
  const guard = { by: 'lease', lease } as const;
  const requeued = await transitionJob(exec, {
    jobId: lease.jobId,
    to: WAITING_STATUS,
    guard,
    where: lt(jobs.attempts, jobs.maxAttempts),
    set: { queuedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null, progress: null, errorMessage: null },
  });
  if (requeued) return 'queued';
  // Out of attempts (or the lease is gone, and then this matches nothing either).
  const failed = await transitionJob(exec, {
    jobId: lease.jobId,
    to: 'failed',
    guard,
    where: sql`${jobs.attempts} >= ${jobs.maxAttempts}`,
    set: { errorMessage: reason, finishedAt: sql`now()`, queuedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null, progress: null },
  });
  return failed ? 'failed' : undefined;
}

/** Queued or running -> canceled, for the tenant that owns the job; false when it had already finished. */
export async function cancelJob(exec: Executor, tenantId: string, jobId: string): Promise<boolean> {
  const canceled = await transitionJob(exec, {
    jobId,
    to: 'canceled',
    guard: { by: 'tenant', tenantId },
    set: { finishedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null },
  });
  return canceled !== undefined;
}
