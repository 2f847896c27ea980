import type { PromptUpsamplingOutcome } from '@kontext/core';
import type postgres from 'postgres';
import type { Database } from './client.ts';
import { reserveEntry } from './credit-ledger.ts';
import { findTenant } from './tenants.ts';

// Admitting a submitted job: the one statement that checks the tenant's credits and limits and,
// only if all hold, writes the job with everything that must commit with it.

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
  /** What became of a requested prompt upsampling; null when the submit did not ask for it. */
  promptUpsampling?: PromptUpsamplingOutcome | null;
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
        webhook_url, webhook_secret, max_attempts, prompt_upsampling, parent_job_id, root_job_id, depth)
      SELECT ${job.id}::text, ${job.tenantId}::text, ${job.apiKeyId}::text, ${job.mode}::api_key_mode,
        ${job.requestId}::text, ${job.model}::text, ${job.enginePool}::text, ${job.prompt}::text, ${job.seed}::bigint,
        ${job.width}::int, ${job.height}::int, ${job.aspectRatio}::text, ${job.outputFormat}::output_format,
        ${job.steps}::smallint, ${job.guidance}::real, ${job.safetyTolerance}::smallint, ${job.costCredits}::int,
        ${job.inputMegapixels}::float8, ${job.outputMegapixels}::float8, ${job.webhookUrl}::text,
        ${job.webhookSecret}::text, ${job.maxAttempts}::smallint, ${job.promptUpsampling ?? null}::prompt_upsampling,
        (SELECT id FROM parent), COALESCE((SELECT root_job_id FROM parent), ${job.id}::text),
        COALESCE((SELECT depth + 1 FROM parent), 0)
      FROM admitted
      RETURNING id
    ), reservation AS (${reserveEntry(client, { tenants: 'admitted', jobs: 'job', cost })}
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
