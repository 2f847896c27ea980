import { and, desc, eq, gte, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { sourcesOf } from '@kontext/core';
import type postgres from 'postgres';
import type { Database, Executor } from './client.ts';
import { assets, dispatchOutbox, jobEvents, jobInputs, jobs } from './schema.ts';
import { findTenant } from './tenants.ts';
import { secondsFromNow, secondsAgo } from './intervals.ts';

export type JobRow = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;
export type JobInputRow = typeof jobInputs.$inferSelect;


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

/** What a submit writes for a job; everything else takes its column default. */
export interface JobSubmission {
  id: string;
  tenantId: string;
  apiKeyId: string;
  mode: 'live' | 'test';
  requestId: string;
  model: string;
  enginePool: string;
  prompt: string;
  seed: number;
  width: number;
  height: number;
  aspectRatio: string | null;
  outputFormat: 'png' | 'jpeg';
  steps: number;
  guidance: number;
  safetyTolerance: number;
  costCredits: number;
  inputMegapixels: number;
  outputMegapixels: number;
  webhookUrl: string | null;
  webhookSecret: string | null;
  maxAttempts: number;
}

export type JobDispatch = { kind: 'outbox' } | { kind: 'enqueue'; queue: string; channel: string };

/** What admitting a job takes from its tenant: a credit reservation and, for live jobs, an active slot. */
export interface JobAdmission {
  /** Credits moved from available to reserved; 0 for test-mode jobs and free models. */
  reserveCredits: number;
  /** Live jobs hold a slot against the tenant's (and the model's) active-job limit. */
  holdsActiveSlot: boolean;
  /** The model's own per-tenant active limit, if it has one. */
  modelActiveLimit: number | null;
}

export type AdmissionOutcome =
  | { admitted: true }
  | { admitted: false; reason: 'tenant_not_found' }
  | { admitted: false; reason: 'insufficient_credits'; available: number; price: number }
  | { admitted: false; reason: 'active_jobs_limit'; limit: number; active: number }
  | { admitted: false; reason: 'model_active_jobs_limit'; limit: number; active: number };

/** One image of a submitted job: an asset the tenant already has, or a new upload to record. */
export type SubmittedInput = { position: number; role: 'context' | 'reference' } & (
  | { assetId: string }
  | { upload: NewInputAsset }
);

/** An uploaded input image, recorded once per tenant and content (a re-upload reuses its asset). */
export interface NewInputAsset {
  id: string;
  contentHash: string;
  byteSize: number;
  width: number;
  height: number;
  format: 'png' | 'jpeg' | 'webp';
  storageKey: string;
}

/**
 * Admits and writes a submitted job in ONE statement: a conditional UPDATE of the tenant row
 * reserves the credits and takes the active-job slots (tenant and model) only if all of them are
 * available, so a refusal by one limit consumes none of the others; then, only if admitted, the
 * uploaded images' assets (upserted by content), the job, its reservation ledger entry, its
 * lineage edges and either its queue message (Postgres queue in this database; the NOTIFY that
 * wakes workers fires at commit) or an outbox row for an external queue. A refused submit writes
 * nothing at all.
 *
 * `beforeCommit` (storing the uploads' blobs) runs inside the statement's transaction, only once
 * the job is admitted: no blob is written for a refused submit, and no worker can see the job
 * before its images are stored. If it throws, nothing is committed.
 */
export async function insertSubmittedJob(
  db: Database,
  job: JobSubmission,
  inputs: SubmittedInput[],
  admission: JobAdmission,
  dispatch: JobDispatch,
  options: { beforeCommit?: () => Promise<void> } = {},
): Promise<AdmissionOutcome> {
  const { beforeCommit } = options;
  const admitted = beforeCommit
    ? await db.$client.begin(async (tx) => {
        const done = await admitSubmittedJob(tx, job, inputs, admission, dispatch);
        if (done) await beforeCommit();
        return done;
      })
    : await admitSubmittedJob(db.$client, job, inputs, admission, dispatch);
  if (admitted) return { admitted: true };
  return explainRefusal(db, job, admission);
}

async function admitSubmittedJob(
  client: postgres.Sql | postgres.TransactionSql,
  job: JobSubmission,
  inputs: SubmittedInput[],
  admission: JobAdmission,
  dispatch: JobDispatch,
): Promise<boolean> {
  const enqueue = dispatch.kind === 'enqueue';
  const cost = admission.reserveCredits;
  const slot = admission.holdsActiveSlot ? 1 : 0;
  // One asset row per content: the same image in two fields is one upsert (a second would fail).
  const uploads = [...new Map(inputs.flatMap((i) => ('upload' in i ? [[i.upload.contentHash, i.upload] as const] : []))).values()];
  const referenced = inputs.flatMap((i) => ('assetId' in i ? [i.assetId] : []));
  const context = inputs.find((i) => i.position === 0);
  const [row] = await client<{ admitted: boolean }[]>`
    WITH admitted AS (
      UPDATE tenants SET
        credits_available = credits_available - ${cost}::bigint,
        credits_reserved = credits_reserved + ${cost}::bigint,
        active_jobs = active_jobs + ${slot}::int,
        active_jobs_by_model = CASE WHEN ${slot}::int = 1
          THEN jsonb_set(active_jobs_by_model, ARRAY[${job.model}::text],
                         to_jsonb(COALESCE((active_jobs_by_model ->> ${job.model}::text)::int, 0) + 1))
          ELSE active_jobs_by_model END
      WHERE id = ${job.tenantId}::text
        AND credits_available >= ${cost}::bigint
        AND (${slot}::int = 0 OR (
          active_jobs < max_active_jobs
          AND (${admission.modelActiveLimit}::int IS NULL
               OR COALESCE((active_jobs_by_model ->> ${job.model}::text)::int, 0) < ${admission.modelActiveLimit}::int)))
      RETURNING id, credits_available
    ), uploaded AS (
      -- A re-upload of content the tenant has restarts its retention clock (and revives a tombstone:
      -- the blob is stored again before commit).
      INSERT INTO assets AS a (id, tenant_id, kind, content_hash, byte_size, width, height, format, storage_key)
      SELECT u.id, admitted.id, 'input', u.content_hash, u.byte_size, u.width, u.height, u.format::image_format, u.storage_key
      FROM admitted, unnest(${uploads.map((u) => u.id)}::text[], ${uploads.map((u) => u.contentHash)}::text[],
        ${uploads.map((u) => u.byteSize)}::int[], ${uploads.map((u) => u.width)}::int[], ${uploads.map((u) => u.height)}::int[],
        ${uploads.map((u) => u.format)}::text[], ${uploads.map((u) => u.storageKey)}::text[])
        AS u(id, content_hash, byte_size, width, height, format, storage_key)
      ON CONFLICT (tenant_id, content_hash) WHERE kind = 'input'
        DO UPDATE SET last_used_at = now(), deleted_at = NULL
      RETURNING a.id, a.content_hash
    ), touched AS (
      -- Images used by reference restart their retention clock too.
      UPDATE assets SET last_used_at = now()
      WHERE id = ANY(${referenced}::text[]) AND EXISTS (SELECT 1 FROM admitted)
    ), parent AS (
      -- Lineage follows the context image: if it is another job's output, that job is the parent.
      SELECT p.id, p.root_job_id, p.depth FROM assets a JOIN jobs p ON p.id = a.producing_job_id
      WHERE a.id = ${context && 'assetId' in context ? context.assetId : null}::text AND a.kind = 'output'
    ), job AS (
      INSERT INTO jobs (id, tenant_id, api_key_id, mode, request_id, model, engine_pool, prompt, seed, width, height,
        aspect_ratio, output_format, steps, guidance, safety_tolerance, cost_credits, input_mp, output_mp,
        webhook_url, webhook_secret, max_attempts, parent_job_id, root_job_id, depth)
      SELECT ${job.id}::text, ${job.tenantId}::text, ${job.apiKeyId}::text, ${job.mode}::api_key_mode,
        ${job.requestId}::text, ${job.model}::text, ${job.enginePool}::text, ${job.prompt}::text, ${job.seed}::bigint,
        ${job.width}::int, ${job.height}::int, ${job.aspectRatio}::text, ${job.outputFormat}::output_format,
        ${job.steps}::smallint, ${job.guidance}::real, ${job.safetyTolerance}::smallint, ${job.costCredits}::int,
        ${job.inputMegapixels}::float8, ${job.outputMegapixels}::float8, ${job.webhookUrl}::text,
        ${job.webhookSecret}::text, ${job.maxAttempts}::smallint,
        (SELECT id FROM parent), COALESCE((SELECT root_job_id FROM parent), ${job.id}::text),
        COALESCE((SELECT depth + 1 FROM parent), 0)
      FROM admitted
      RETURNING id
    ), reservation AS (
      INSERT INTO credit_ledger (tenant_id, job_id, kind, amount, balance_after, reason)
      SELECT admitted.id, job.id, 'reserve', -${cost}::bigint, admitted.credits_available, 'job submitted'
      FROM job, admitted WHERE ${cost}::bigint > 0
    ), inputs AS (
      INSERT INTO job_inputs (job_id, position, asset_id, role)
      SELECT job.id, i.position, COALESCE(i.asset_id, up.id), i.role
      FROM job, unnest(${inputs.map((i) => i.position)}::smallint[],
        ${inputs.map((i) => ('assetId' in i ? i.assetId : null))}::text[],
        ${inputs.map((i) => ('upload' in i ? i.upload.contentHash : null))}::text[],
        ${inputs.map((i) => i.role)}::text[]) AS i(position, asset_id, content_hash, role)
      LEFT JOIN uploaded up ON up.content_hash = i.content_hash
    ), outbox AS (
      INSERT INTO dispatch_outbox (job_id) SELECT id FROM job WHERE NOT ${enqueue}::boolean
    ), message AS (
      INSERT INTO queue_messages (queue, body)
      SELECT ${enqueue ? dispatch.queue : ''}::text, jsonb_build_object('jobId', id) FROM job WHERE ${enqueue}::boolean
      RETURNING queue
    )
    SELECT EXISTS (SELECT 1 FROM job) AS admitted,
           (SELECT count(*) FROM (SELECT pg_notify(${enqueue ? dispatch.channel : ''}::text, queue) FROM message) n) AS notified`;
  return row?.admitted === true;
}

/** Why the admission UPDATE matched no row, read right after it (the decision itself was atomic). */
async function explainRefusal(db: Database, job: JobSubmission, admission: JobAdmission): Promise<AdmissionOutcome> {
  const tenant = await findTenant(db, job.tenantId);
  if (!tenant) return { admitted: false, reason: 'tenant_not_found' };
  if (tenant.creditsAvailable < admission.reserveCredits) {
    return { admitted: false, reason: 'insufficient_credits', available: tenant.creditsAvailable, price: admission.reserveCredits };
  }
  const modelActive = tenant.activeJobsByModel[job.model] ?? 0;
  if (admission.modelActiveLimit !== null && modelActive >= admission.modelActiveLimit) {
    return { admitted: false, reason: 'model_active_jobs_limit', limit: admission.modelActiveLimit, active: modelActive };
  }
  return { admitted: false, reason: 'active_jobs_limit', limit: tenant.maxActiveJobs, active: tenant.activeJobs };
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
  outputDeletedAt: Date | null;
  thumbnailKey: string | null;
}

/** A tenant's job with its output's storage key; another tenant's job is simply not found. */
export async function findTenantJobWithOutput(
  exec: Executor,
  tenantId: string,
  jobId: string,
): Promise<JobWithOutput | undefined> {
  const [row] = await exec
    .select({ job: jobs, outputStorageKey: assets.storageKey, outputDeletedAt: assets.deletedAt, thumbnailKey: assets.thumbnailKey })
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

/** Queued or running -> canceled, for the tenant that owns the job; false when it had already finished. */
export async function cancelJob(exec: Executor, tenantId: string, jobId: string): Promise<boolean> {
  const rows = await exec
    .update(jobs)
    .set({ status: 'canceled', finishedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null })
    .where(and(eq(jobs.id, jobId), eq(jobs.tenantId, tenantId), inArray(jobs.status, sourcesOf('canceled'))))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

export interface JobInputEdge {
  position: number;
  role: 'context' | 'reference';
  assetId: string;
  producingJobId: string | null;
  width: number;
  height: number;
  format: 'png' | 'jpeg' | 'webp';
  deletedAt: Date | null;
}

/** The lineage edges of some jobs: which assets each consumed, in order, with their role. */
export async function findInputEdges(exec: Executor, jobIds: string[]): Promise<Map<string, JobInputEdge[]>> {
  const edges = new Map<string, JobInputEdge[]>();
  if (jobIds.length === 0) return edges;
  const rows = await exec
    .select({
      jobId: jobInputs.jobId,
      position: jobInputs.position,
      role: jobInputs.role,
      assetId: jobInputs.assetId,
      producingJobId: assets.producingJobId,
      width: assets.width,
      height: assets.height,
      format: assets.format,
      deletedAt: assets.deletedAt,
    })
    .from(jobInputs)
    .innerJoin(assets, eq(assets.id, jobInputs.assetId))
    .where(inArray(jobInputs.jobId, jobIds))
    .orderBy(jobInputs.jobId, jobInputs.position);
  for (const { jobId, ...edge } of rows) edges.set(jobId, [...(edges.get(jobId) ?? []), edge]);
  return edges;
}

export interface LineageJob {
  id: string;
  parentJobId: string | null;
  depth: number;
  prompt: string;
  status: JobRow['status'];
  model: string;
  createdAt: Date;
  outputAssetId: string | null;
  outputDeletedAt: Date | null;
  thumbnailKey: string | null;
}

/** Every job of one lineage tree (one indexed read by root), for one tenant. */
export async function findLineageJobs(exec: Executor, tenantId: string, rootJobId: string): Promise<LineageJob[]> {
  return exec
    .select({
      id: jobs.id,
      parentJobId: jobs.parentJobId,
      depth: jobs.depth,
      prompt: jobs.prompt,
      status: jobs.status,
      model: jobs.model,
      createdAt: jobs.createdAt,
      outputAssetId: jobs.outputAssetId,
      outputDeletedAt: assets.deletedAt,
      thumbnailKey: assets.thumbnailKey,
    })
    .from(jobs)
    .leftJoin(assets, eq(assets.id, jobs.outputAssetId))
    .where(and(eq(jobs.rootJobId, rootJobId), eq(jobs.tenantId, tenantId)))
    .orderBy(jobs.id);
}

export interface JobListFilter {
  tenantId: string;
  /** Continue after this job id (ids sort by creation time). */
  before?: string | undefined;
  status?: JobRow['status'] | undefined;
  model?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  rootJobId?: string | undefined;
  limit: number;
}

/** A tenant's jobs, newest first, filtered; cursor by id. */
export async function listTenantJobs(exec: Executor, filter: JobListFilter): Promise<JobWithOutput[]> {
  return exec
    .select({ job: jobs, outputStorageKey: assets.storageKey, outputDeletedAt: assets.deletedAt, thumbnailKey: assets.thumbnailKey })
    .from(jobs)
    .leftJoin(assets, eq(assets.id, jobs.outputAssetId))
    .where(
      and(
        eq(jobs.tenantId, filter.tenantId),
        filter.before ? lt(jobs.id, filter.before) : undefined,
        filter.status ? eq(jobs.status, filter.status) : undefined,
        filter.model ? eq(jobs.model, filter.model) : undefined,
        filter.createdAfter ? gte(jobs.createdAt, filter.createdAfter) : undefined,
        filter.createdBefore ? lt(jobs.createdAt, filter.createdBefore) : undefined,
        filter.rootJobId ? eq(jobs.rootJobId, filter.rootJobId) : undefined,
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(filter.limit);
}

export interface JobEventRow {
  id: number;
  type: 'status' | 'progress';
  data: Record<string, unknown>;
  createdAt: Date;
}

/** A job's events after an event id, in order (for live status and its resumption). */
export async function findJobEventsAfter(exec: Executor, jobId: string, afterId: number, limit: number): Promise<JobEventRow[]> {
  const rows = await exec
    .select({ id: jobEvents.id, type: jobEvents.type, data: jobEvents.data, createdAt: jobEvents.createdAt })
    .from(jobEvents)
    .where(and(eq(jobEvents.jobId, jobId), sql`${jobEvents.id} > ${afterId}`))
    .orderBy(jobEvents.id)
    .limit(limit);
  return rows.map((row) => ({ ...row, data: row.data as Record<string, unknown> }));
}

/** Drops events older than the given age (live status is for jobs in flight). */
export async function purgeOldJobEvents(db: Database, olderThanSeconds: number, limit: number): Promise<number> {
  const rows = await db.$client`
    DELETE FROM job_events WHERE id IN (
      SELECT id FROM job_events WHERE created_at < now() - make_interval(secs => ${olderThanSeconds}) ORDER BY id LIMIT ${limit})`;
  return rows.count;
}
