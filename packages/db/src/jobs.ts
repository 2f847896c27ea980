import { and, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { assets, dispatchOutbox, jobInputs, jobs } from './schema.ts';

export type JobRow = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;
export type JobInputRow = typeof jobInputs.$inferSelect;

const secondsFromNow = (seconds: number) => sql`now() + make_interval(secs => ${seconds})`;

/** A running job held by this worker for this attempt: the guard on every worker-side write. */
function heldBy(lease: WorkerLease): SQL {
  return and(
    eq(jobs.id, lease.jobId),
    eq(jobs.status, 'running'),
    eq(jobs.leaseOwner, lease.workerId),
    eq(jobs.attempts, lease.attempt),
  ) as SQL;
}

export interface WorkerLease {
  jobId: string;
  workerId: string;
  attempt: number;
}

/**
 * Inserts a job and its lineage edges, plus a dispatch outbox row unless the caller enqueues the
 * job's message in the same transaction itself. Call inside one transaction.
 */
export async function insertJobWithInputs(
  exec: Executor,
  job: NewJob,
  inputs: Omit<JobInputRow, 'jobId'>[],
  options: { outbox: boolean } = { outbox: true },
): Promise<JobRow> {
  const [row] = await exec.insert(jobs).values(job).returning();
  if (!row) throw new Error('job insert returned no row');
  if (inputs.length > 0) {
    await exec.insert(jobInputs).values(inputs.map((input) => ({ ...input, jobId: row.id })));
  }
  if (options.outbox) await exec.insert(dispatchOutbox).values({ jobId: row.id });
  return row;
}

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
    .where(lt(dispatchOutbox.createdAt, sql`now() - make_interval(secs => ${olderThanSeconds})`))
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
  const [row] = await exec
    .update(jobs)
    .set({
      status: 'running',
      attempts: sql`${jobs.attempts} + 1`,
      leaseOwner: input.workerId,
      leaseExpiresAt: secondsFromNow(input.leaseSeconds),
      startedAt: sql`coalesce(${jobs.startedAt}, now())`,
      progress: 0,
    })
    .where(
      and(
        eq(jobs.id, input.jobId),
        lt(jobs.attempts, jobs.maxAttempts),
        or(eq(jobs.status, 'queued'), and(eq(jobs.status, 'running'), lt(jobs.leaseExpiresAt, sql`now()`))),
      ),
    )
    .returning();
  return row;
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
  const [row] = await exec
    .update(jobs)
    .set({
      status: 'succeeded',
      outputAssetId,
      engine,
      progress: 1,
      finishedAt: sql`now()`,
      leaseOwner: null,
      leaseExpiresAt: null,
    })
    .where(heldBy(lease))
    .returning();
  return row;
}

export async function markJobFailed(
  exec: Executor,
  lease: WorkerLease,
  errorMessage: string,
  engine: string | null,
): Promise<JobRow | undefined> {
  const [row] = await exec
    .update(jobs)
    .set({ status: 'failed', errorMessage, engine, finishedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null })
    .where(heldBy(lease))
    .returning();
  return row;
}

export interface SweepResult {
  requeued: PendingDispatch[];
  failedLeases: string[];
  expiredQueued: string[];
}

/**
 * The lease sweeper's statement: running jobs whose lease expired go back to queued (with a new
 * outbox row so a message is sent again) or, with no attempts left, to failed. Queued jobs older
 * than the queue timeout fail too, so nothing stays Pending forever.
 */
export async function sweepExpiredJobs(exec: Executor, queueTimeoutSeconds: number, limit: number): Promise<SweepResult> {
  const expired = await exec.execute<{ action: string; id: string; engine_pool: string | null }>(sql`
    WITH expired AS (
      SELECT id FROM ${jobs}
      WHERE status = 'running' AND lease_expires_at < now()
      ORDER BY lease_expires_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ), exhausted AS (
      UPDATE ${jobs} j
      SET status = 'failed', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL,
          error_message = 'the worker running this job stopped responding ' || j.attempts || ' time(s); giving up'
      FROM expired e
      WHERE j.id = e.id AND j.attempts >= j.max_attempts
      RETURNING j.id
    ), requeued AS (
      UPDATE ${jobs} j
      SET status = 'queued', queued_at = now(), lease_owner = NULL, lease_expires_at = NULL, progress = NULL
      FROM expired e
      WHERE j.id = e.id AND j.attempts < j.max_attempts
      RETURNING j.id, j.engine_pool
    ), outbox AS (
      INSERT INTO ${dispatchOutbox} (job_id)
      SELECT id FROM requeued
      ON CONFLICT (job_id) DO NOTHING
    ), stale_queued AS (
      SELECT id FROM ${jobs}
      WHERE status = 'queued' AND queued_at < now() - make_interval(secs => ${queueTimeoutSeconds})
      ORDER BY queued_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ), timed_out AS (
      UPDATE ${jobs} j
      SET status = 'failed', finished_at = now(),
          error_message = 'no worker started this job within ' || ${queueTimeoutSeconds}::int || ' seconds'
      FROM stale_queued s
      WHERE j.id = s.id
      RETURNING j.id
    )
    SELECT 'requeued' AS action, id, engine_pool FROM requeued
    UNION ALL SELECT 'failed', id, NULL FROM exhausted
    UNION ALL SELECT 'timed_out', id, NULL FROM timed_out
  `);
  const result: SweepResult = { requeued: [], failedLeases: [], expiredQueued: [] };
  for (const row of expired) {
    if (row.action === 'requeued' && row.engine_pool) result.requeued.push({ jobId: row.id, enginePool: row.engine_pool });
    else if (row.action === 'failed') result.failedLeases.push(row.id);
    else if (row.action === 'timed_out') result.expiredQueued.push(row.id);
  }
  return result;
}

export async function findJob(exec: Executor, jobId: string): Promise<JobRow | undefined> {
  const [row] = await exec.select().from(jobs).where(eq(jobs.id, jobId));
  return row;
}

export interface JobWithOutput {
  job: JobRow;
  outputStorageKey: string | null;
}

/** A tenant's job with its output's storage key; another tenant's job is simply not found. */
export async function findTenantJobWithOutput(
  exec: Executor,
  tenantId: string,
  jobId: string,
): Promise<JobWithOutput | undefined> {
  const [row] = await exec
    .select({ job: jobs, outputStorageKey: assets.storageKey })
    .from(jobs)
    .leftJoin(assets, eq(assets.id, jobs.outputAssetId))
    .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, jobId)));
  return row;
}

export interface JobInputAsset {
  position: number;
  role: 'context' | 'reference';
  storageKey: string;
  format: 'png' | 'jpeg' | 'webp';
  width: number;
  height: number;
}

export async function findJobInputAssets(exec: Executor, jobId: string): Promise<JobInputAsset[]> {
  return exec
    .select({
      position: jobInputs.position,
      role: jobInputs.role,
      storageKey: assets.storageKey,
      format: assets.format,
      width: assets.width,
      height: assets.height,
    })
    .from(jobInputs)
    .innerJoin(assets, eq(assets.id, jobInputs.assetId))
    .where(eq(jobInputs.jobId, jobId))
    .orderBy(jobInputs.position);
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
  const [row] = await exec
    .update(jobs)
    .set({
      status: sql`CASE WHEN ${jobs.attempts} >= ${jobs.maxAttempts} THEN 'failed'::job_status ELSE 'queued'::job_status END`,
      errorMessage: sql`CASE WHEN ${jobs.attempts} >= ${jobs.maxAttempts} THEN ${reason} ELSE NULL END`,
      finishedAt: sql`CASE WHEN ${jobs.attempts} >= ${jobs.maxAttempts} THEN now() ELSE NULL END`,
      queuedAt: sql`now()`,
      leaseOwner: null,
      leaseExpiresAt: null,
      progress: null,
    })
    .where(heldBy(lease))
    .returning({ status: jobs.status });
  if (!row) return undefined;
  return row.status === 'failed' ? 'failed' : 'queued';
}
