import { createHash, randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../core/src/ids.ts';
import { sleep } from '../../core/src/sleep.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/database.ts';
import {
  claimJob,
  connectDatabase,
  deleteDispatchOutbox,
  findActiveApiKeyByHash,
  findApiKeyById,
  findJob,
  findJobInputAssets,
  findStaleDispatches,
  findTenantJobWithOutput,
  insertApiKey,
  insertSubmittedJob,
  insertOutputAsset,
  insertTenant,
  markJobFailed,
  markJobSucceeded,
  recordJobProgress,
  recordPromptUpsampling,
  releaseJobLease,
  renewJobLease,
  revokeApiKey,
  schema,
  sweepExpiredJobs,
  touchApiKeyLastUsed,
  upsertInputAsset,
  type ApiKeyRow,
  type AssetRow,
  type Database,
  type DatabaseHandle,
  type JobDispatch,
  type JobInputRow,
  type JobSubmission,
  type JobRow,
  type NewAsset,
  type NewJob,
  type TenantRow,
  type WorkerLease,
} from '../src/index.ts';

let database: TestDatabase;
let handle: DatabaseHandle;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  // Room for the concurrency cases to really run in parallel.
  handle = connectDatabase(database.url, { maxConnections: 25, applicationName: 'jobs-repository-test' });
  db = handle.db;
});

afterAll(async () => {
  await handle?.close();
  await database?.drop();
});

// ---------------------------------------------------------------------------------------------
// Factories: each test builds exactly the rows it needs.

interface Owner {
  tenant: TenantRow;
  apiKey: ApiKeyRow;
}

async function createTenant(name = 'Test tenant'): Promise<TenantRow> {
  return insertTenant(db, {
    id: newId('tenant'),
    name,
    initialCredits: 0,
    maxActiveJobs: 1000,
    requestsPerMinutePerKey: 6000,
    allowedModels: null,
    retentionDays: 30,
  });
}

async function createApiKey(tenantId: string, overrides: Partial<typeof schema.apiKeys.$inferInsert> = {}): Promise<ApiKeyRow> {
  const secret = randomBytes(16).toString('hex');
  return insertApiKey(db, {
    id: newId('apiKey'),
    tenantId,
    name: 'test key',
    mode: 'test',
    keyHash: sha256(secret),
    displayPrefix: 'kx_test_',
    lastFour: secret.slice(-4),
    ...overrides,
  });
}

async function createOwner(): Promise<Owner> {
  const tenant = await createTenant();
  const apiKey = await createApiKey(tenant.id);
  return { tenant, apiKey };
}

/** A job row with sensible defaults: a 1 MP text-to-image edit with three attempts. */
function jobValues(owner: Owner, overrides: Partial<NewJob> = {}): NewJob {
  const id = overrides.id ?? newId('job');
  return {
    id,
    rootJobId: id,
    tenantId: owner.tenant.id,
    apiKeyId: owner.apiKey.id,
    requestId: newId('request'),
    model: 'flux-kontext-pro',
    enginePool: 'preview',
    prompt: 'a lighthouse at dusk',
    seed: 7,
    width: 1024,
    height: 1024,
    aspectRatio: '1:1',
    outputFormat: 'png',
    steps: 28,
    guidance: 3.5,
    safetyTolerance: 2,
    costCredits: 2,
    inputMegapixels: 0,
    outputMegapixels: 1.0486,
    maxAttempts: 3,
    ...overrides,
  };
}

const SUBMISSION_FIELDS = [
  'id', 'tenantId', 'apiKeyId', 'requestId', 'model', 'enginePool', 'prompt', 'seed', 'width', 'height', 'aspectRatio',
  'outputFormat', 'steps', 'guidance', 'safetyTolerance', 'costCredits', 'inputMegapixels', 'outputMegapixels',
  'webhookUrl', 'webhookSecret', 'maxAttempts', 'mode',
] as const satisfies readonly (keyof JobSubmission)[];

/** Submits a job the way the API does, then sets any other columns a scenario needs (status, times). */
async function createJob(
  owner: Owner,
  overrides: Partial<NewJob> = {},
  inputs: Omit<JobInputRow, 'jobId'>[] = [],
  dispatch: JobDispatch = { kind: 'outbox' },
): Promise<JobRow> {
  const values = jobValues(owner, overrides);
  const submission = Object.fromEntries(SUBMISSION_FIELDS.map((field) => [field, values[field] ?? null])) as unknown as JobSubmission;
  // Free test-mode admission: these tests are about the job lifecycle, not money or limits.
  const admission = await insertSubmittedJob(db, { ...submission, mode: 'test' }, inputs, { reserveCredits: 0, holdsActiveSlot: false, modelActiveLimit: null }, dispatch);
  if (!admission.admitted) throw new Error(`job not admitted: ${admission.reason}`);
  const rest = Object.fromEntries(Object.entries(overrides).filter(([field]) => !(SUBMISSION_FIELDS as readonly string[]).includes(field)));
  if (Object.keys(rest).length > 0) await db.update(schema.jobs).set(rest).where(eq(schema.jobs.id, submission.id));
  const job = await findJob(db, submission.id);
  if (!job) throw new Error('job vanished after insert');
  return job;
}

function inputAssetRow(tenantId: string, overrides: Partial<Omit<NewAsset, 'kind'>> = {}): NewAsset & { kind: 'input' } {
  const contentHash = overrides.contentHash ?? randomBytes(32).toString('hex');
  return {
    id: newId('asset'),
    tenantId,
    kind: 'input' as const,
    contentHash,
    byteSize: 1234,
    width: 512,
    height: 512,
    format: 'png' as const,
    storageKey: `tenants/${tenantId}/inputs/${contentHash}.png`,
    ...overrides,
  };
}

function outputAssetRow(job: JobRow, attempt: number, overrides: Partial<Omit<NewAsset, 'kind'>> = {}): NewAsset & { kind: 'output' } {
  return {
    id: newId('asset'),
    tenantId: job.tenantId,
    kind: 'output' as const,
    contentHash: randomBytes(32).toString('hex'),
    byteSize: 4321,
    width: job.width,
    height: job.height,
    format: 'png' as const,
    storageKey: `tenants/${job.tenantId}/outputs/${job.id}/${attempt}.png`,
    producingJobId: job.id,
    engine: 'preview-cpu/1',
    ...overrides,
  };
}

/** Claims a job for a new worker and returns the lease it holds. */
async function claimAs(job: JobRow, leaseSeconds: number, workerId = newId('worker')): Promise<WorkerLease> {
  const claimed = await claimJob(db, { jobId: job.id, workerId, leaseSeconds });
  if (!claimed) throw new Error(`claim of ${job.id} by ${workerId} failed`);
  return { jobId: job.id, workerId, attempt: claimed.attempts };
}

/**
 * Waits until a lease of `leaseSeconds` taken before this call has certainly expired (leases
 * expire by the clock; a slow machine only waits further past the expiry).
 */
function waitForLeaseExpiry(leaseSeconds: number): Promise<boolean> {
  return sleep(leaseSeconds * 1000 + 100);
}

async function mustFindJob(jobId: string): Promise<JobRow> {
  const job = await findJob(db, jobId);
  if (!job) throw new Error(`job ${jobId} not found`);
  return job;
}

async function outboxRow(jobId: string) {
  const [row] = await db.select().from(schema.dispatchOutbox).where(eq(schema.dispatchOutbox.jobId, jobId));
  return row;
}

async function outputAssetsOf(jobId: string): Promise<AssetRow[]> {
  return db.select().from(schema.assets).where(eq(schema.assets.producingJobId, jobId));
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The Postgres SQLSTATE of an error, looking through driver and ORM wrappers. */
function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if ('code' in current && typeof current.code === 'string' && /^[0-9A-Z]{5}$/.test(current.code)) return current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

async function expectSqlState(promise: Promise<unknown>, code: string): Promise<void> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, 'expected the statement to fail').toBeDefined();
  expect(sqlState(outcome)).toBe(code);
}

// ---------------------------------------------------------------------------------------------

describe('insertSubmittedJob', () => {
  it('writes the job, its lineage edges in order and a dispatch outbox row', async () => {
    const owner = await createOwner();
    const context = await upsertInputAsset(db, inputAssetRow(owner.tenant.id));
    const reference = await upsertInputAsset(db, inputAssetRow(owner.tenant.id, { format: 'jpeg' }));
    const job = await createJob(owner, { inputMegapixels: 0.26 }, [
      { position: 1, assetId: reference.id, role: 'reference' },
      { position: 0, assetId: context.id, role: 'context' },
    ]);
    expect(job).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null, progress: null, startedAt: null });
    expect(await outboxRow(job.id)).toBeDefined();
    const inputs = await findJobInputAssets(db, job.id);
    expect(inputs.map((input) => [input.position, input.role, input.storageKey, input.format])).toEqual([
      [0, 'context', context.storageKey, 'png'],
      [1, 'reference', reference.storageKey, 'jpeg'],
    ]);
  });

  it('with a same-database queue, writes the queue message instead of an outbox row, and notifies at commit', async () => {
    const owner = await createOwner();
    const queue = `jobs-${randomBytes(4).toString('hex')}`;
    const notified: string[] = [];
    const listener = await handle.sql.listen('test_channel', (payload) => notified.push(payload));
    try {
      const job = await createJob(owner, {}, [], { kind: 'enqueue', queue, channel: 'test_channel' });
      expect(await findJob(db, job.id)).toMatchObject({ status: 'queued' });
      expect(await outboxRow(job.id)).toBeUndefined();
      const messages = await handle.sql<{ body: { jobId: string } }[]>`SELECT body FROM queue_messages WHERE queue = ${queue}`;
      expect(messages.map((m) => m.body)).toEqual([{ jobId: job.id }]);
      await expect.poll(() => notified, { timeout: 10_000 }).toEqual([queue]);
    } finally {
      await listener.unlisten();
    }
  });

  it('writes nothing at all when any part fails (one statement)', async () => {
    const owner = await createOwner();
    const before = await handle.sql<{ n: number }[]>`SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM dispatch_outbox) AS n`;
    // A lineage edge to an asset that does not exist violates its foreign key.
    await expect(createJob(owner, {}, [{ position: 0, assetId: 'ast_missing', role: 'context' }])).rejects.toThrow();
    const after = await handle.sql<{ n: number }[]>`SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM dispatch_outbox) AS n`;
    expect(after).toEqual(before);
  });
});

describe('claimJob', () => {
  it('lets exactly one of 20 concurrent workers claim a queued job', async () => {
    const job = await createJob(await createOwner());
    const workers = Array.from({ length: 20 }, () => newId('worker'));
    const claimedAfter = Date.now();
    const results = await Promise.all(workers.map((workerId) => claimJob(db, { jobId: job.id, workerId, leaseSeconds: 30 })));
    const winners = results.filter((row): row is JobRow => row !== undefined);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(winner.attempts).toBe(1);
    expect(winner.status).toBe('running');
    expect(winner.progress).toBe(0);
    expect(winner.startedAt).toBeInstanceOf(Date);
    expect(workers).toContain(winner.leaseOwner);
    // 30 s from the claim, which came after `claimedAfter` (less 1 s for the clocks' rounding).
    expect(winner.leaseExpiresAt!.getTime()).toBeGreaterThanOrEqual(claimedAfter + 30_000 - 1000);

    const stored = await mustFindJob(job.id);
    expect(stored).toMatchObject({ status: 'running', attempts: 1, leaseOwner: winner.leaseOwner });
  });

  it('does not claim a running job whose lease is live', async () => {
    const job = await createJob(await createOwner());
    const lease = await claimAs(job, 30);
    expect(await claimJob(db, { jobId: job.id, workerId: newId('worker'), leaseSeconds: 30 })).toBeUndefined();
    // Not even the holder can claim it a second time while its lease runs.
    expect(await claimJob(db, { jobId: job.id, workerId: lease.workerId, leaseSeconds: 30 })).toBeUndefined();
    expect(await mustFindJob(job.id)).toMatchObject({ leaseOwner: lease.workerId, attempts: 1 });
  });

  it('lets another worker claim a job once its lease expired, as attempt 2', async () => {
    const job = await createJob(await createOwner());
    const first = await claimAs(job, 0.2);
    const firstStart = (await mustFindJob(job.id)).startedAt;
    await waitForLeaseExpiry(0.2);

    const second = newId('worker');
    const claimed = await claimJob(db, { jobId: job.id, workerId: second, leaseSeconds: 30 });
    expect(claimed).toMatchObject({ status: 'running', attempts: 2, leaseOwner: second, progress: 0 });
    // The first start is kept: the job's wall time counts from when work first began.
    expect(claimed!.startedAt).toEqual(firstStart);
    expect(first.attempt).toBe(1);
  });

  it('does not claim a job that used up its attempts', async () => {
    const owner = await createOwner();
    const single = await createJob(owner, { maxAttempts: 1 });
    await claimAs(single, 0.2);
    await waitForLeaseExpiry(0.2);
    expect(await claimJob(db, { jobId: single.id, workerId: newId('worker'), leaseSeconds: 30 })).toBeUndefined();
    expect(await mustFindJob(single.id)).toMatchObject({ status: 'running', attempts: 1 });

    const exhaustedQueued = await createJob(owner, { maxAttempts: 2, attempts: 2 });
    expect(await claimJob(db, { jobId: exhaustedQueued.id, workerId: newId('worker'), leaseSeconds: 30 })).toBeUndefined();
    expect(await mustFindJob(exhaustedQueued.id)).toMatchObject({ status: 'queued', attempts: 2 });
  });

  it('does not claim finished, canceled or unknown jobs', async () => {
    const owner = await createOwner();
    for (const status of ['succeeded', 'failed', 'canceled', 'request_moderated', 'content_moderated'] as const) {
      const job = await createJob(owner, { status });
      expect(await claimJob(db, { jobId: job.id, workerId: newId('worker'), leaseSeconds: 30 }), status).toBeUndefined();
    }
    expect(await claimJob(db, { jobId: newId('job'), workerId: newId('worker'), leaseSeconds: 30 })).toBeUndefined();
  });
});

describe('lease-guarded worker writes', () => {
  /** A job first claimed by one worker whose lease expired, then reclaimed by another. */
  async function reclaimedJob(): Promise<{ job: JobRow; stale: WorkerLease; current: WorkerLease }> {
    const job = await createJob(await createOwner());
    const stale = await claimAs(job, 0.2);
    await waitForLeaseExpiry(0.2);
    const current = await claimAs(job, 30);
    expect(current.attempt).toBe(2);
    return { job, stale, current };
  }

  /** Leases that do not hold the job: the expired one, and mixes of the right worker and attempt. */
  function staleLeases(stale: WorkerLease, current: WorkerLease): WorkerLease[] {
    return [
      stale,
      { ...current, attempt: stale.attempt },
      { ...current, workerId: stale.workerId },
      { ...current, jobId: newId('job') },
    ];
  }

  it('renewJobLease extends only the current lease', async () => {
    const { job, stale, current } = await reclaimedJob();
    const before = (await mustFindJob(job.id)).leaseExpiresAt!;
    for (const lease of staleLeases(stale, current)) expect(await renewJobLease(db, lease, 600)).toBe(false);
    expect((await mustFindJob(job.id)).leaseExpiresAt).toEqual(before);

    const renewedAfter = Date.now();
    expect(await renewJobLease(db, current, 600)).toBe(true);
    const after = (await mustFindJob(job.id)).leaseExpiresAt!;
    expect(after.getTime()).toBeGreaterThan(before.getTime());
    // 600 s from the renewal, which came after `renewedAfter` (less 1 s for the clocks' rounding).
    expect(after.getTime()).toBeGreaterThanOrEqual(renewedAfter + 600_000 - 1000);
  });

  it('recordJobProgress writes only for the current lease', async () => {
    const { job, stale, current } = await reclaimedJob();
    for (const lease of staleLeases(stale, current)) expect(await recordJobProgress(db, lease, 0.9, 'stale-engine')).toBe(false);
    expect(await mustFindJob(job.id)).toMatchObject({ progress: 0, engine: null });

    expect(await recordJobProgress(db, current, 0.5, 'preview-cpu/1')).toBe(true);
    expect(await mustFindJob(job.id)).toMatchObject({ progress: 0.5, engine: 'preview-cpu/1' });
  });

  it('recordPromptUpsampling writes the outcome once, only for the current lease, and keeps the first answer', async () => {
    const { job, stale, current } = await reclaimedJob();
    await db.update(schema.jobs).set({ promptUpsampling: 'unavailable' }).where(eq(schema.jobs.id, job.id));
    for (const lease of staleLeases(stale, current)) {
      expect(await recordPromptUpsampling(db, lease, { outcome: 'applied', upsampledPrompt: 'a stale answer' })).toBe(false);
    }
    expect(await mustFindJob(job.id)).toMatchObject({ promptUpsampling: 'unavailable', upsampledPrompt: null });

    expect(await recordPromptUpsampling(db, current, { outcome: 'applied', upsampledPrompt: 'a lighthouse at dusk, in fog' })).toBe(true);
    expect(await recordPromptUpsampling(db, current, { outcome: 'failed' })).toBe(false);
    expect(await mustFindJob(job.id)).toMatchObject({ prompt: 'a lighthouse at dusk', promptUpsampling: 'applied', upsampledPrompt: 'a lighthouse at dusk, in fog' });
  });

  it('recordPromptUpsampling records a failure without text, and writes nothing for a job that did not ask', async () => {
    const asked = await createJob(await createOwner(), { promptUpsampling: 'unavailable' });
    expect(await recordPromptUpsampling(db, await claimAs(asked, 30), { outcome: 'failed' })).toBe(true);
    expect(await mustFindJob(asked.id)).toMatchObject({ promptUpsampling: 'failed', upsampledPrompt: null });

    const plain = await createJob(await createOwner());
    expect(await recordPromptUpsampling(db, await claimAs(plain, 30), { outcome: 'applied', upsampledPrompt: 'unasked' })).toBe(false);
    expect(await mustFindJob(plain.id)).toMatchObject({ promptUpsampling: null, upsampledPrompt: null });
  });

  it('keeps an upsampled prompt exactly when upsampling was applied (a check constraint)', async () => {
    const job = await createJob(await createOwner(), { promptUpsampling: 'unavailable' });
    const set = (values: Partial<JobRow>) => db.update(schema.jobs).set(values).where(eq(schema.jobs.id, job.id));
    await expectSqlState(set({ promptUpsampling: 'applied' }), '23514');
    await expectSqlState(set({ upsampledPrompt: 'text without the outcome' }), '23514');
    await expectSqlState(set({ promptUpsampling: null, upsampledPrompt: 'text without the outcome' }), '23514');
    await set({ promptUpsampling: 'applied', upsampledPrompt: 'both together' });
    expect(await mustFindJob(job.id)).toMatchObject({ promptUpsampling: 'applied', upsampledPrompt: 'both together' });
  });

  it('markJobFailed fails the job only for the current lease', async () => {
    const { job, stale, current } = await reclaimedJob();
    for (const lease of staleLeases(stale, current)) expect(await markJobFailed(db, lease, 'stale failure', null)).toBeUndefined();
    expect(await mustFindJob(job.id)).toMatchObject({ status: 'running', errorMessage: null });

    const failed = await markJobFailed(db, current, 'engine exploded', 'preview-cpu/1');
    expect(failed).toMatchObject({ status: 'failed', errorMessage: 'engine exploded', engine: 'preview-cpu/1', leaseOwner: null, leaseExpiresAt: null });
    expect(failed!.finishedAt).toBeInstanceOf(Date);
    // Finished: the lease no longer holds anything.
    expect(await renewJobLease(db, current, 30)).toBe(false);
    expect(await claimJob(db, { jobId: job.id, workerId: newId('worker'), leaseSeconds: 30 })).toBeUndefined();
  });

  it('releaseJobLease requeues the job for the current lease only', async () => {
    const { job, stale, current } = await reclaimedJob();
    for (const lease of staleLeases(stale, current)) expect(await releaseJobLease(db, lease, 'stale release')).toBeUndefined();
    expect(await mustFindJob(job.id)).toMatchObject({ status: 'running', leaseOwner: current.workerId });

    expect(await releaseJobLease(db, current, 'storage hiccup')).toBe('queued');
    expect(await mustFindJob(job.id)).toMatchObject({
      status: 'queued',
      leaseOwner: null,
      leaseExpiresAt: null,
      progress: null,
      errorMessage: null,
      finishedAt: null,
      attempts: 2,
    });
    // Released once: the same lease cannot release (or write) again.
    expect(await releaseJobLease(db, current, 'again')).toBeUndefined();
    const third = await claimAs(job, 30);
    expect(third.attempt).toBe(3);
  });

  it('releaseJobLease fails the job on its last attempt', async () => {
    const job = await createJob(await createOwner(), { maxAttempts: 1 });
    const lease = await claimAs(job, 30);
    expect(await releaseJobLease(db, lease, 'engine unavailable')).toBe('failed');
    const stored = await mustFindJob(job.id);
    expect(stored).toMatchObject({ status: 'failed', errorMessage: 'engine unavailable', leaseOwner: null, leaseExpiresAt: null });
    expect(stored.finishedAt).toBeInstanceOf(Date);
  });

  it('markJobSucceeded commits with its output asset for the current lease, and rolls back for a stale one', async () => {
    const { job, stale, current } = await reclaimedJob();

    // The superseded worker finishes late: its asset insert must roll back with the failed guard.
    await expect(
      db.transaction(async (tx) => {
        const asset = await insertOutputAsset(tx, outputAssetRow(job, stale.attempt));
        const row = await markJobSucceeded(tx, stale, asset.id, 'preview-cpu/1');
        expect(row).toBeUndefined();
        tx.rollback();
      }),
    ).rejects.toThrow();
    expect(await outputAssetsOf(job.id)).toEqual([]);
    expect(await mustFindJob(job.id)).toMatchObject({ status: 'running', outputAssetId: null });

    const succeeded = await db.transaction(async (tx) => {
      const asset = await insertOutputAsset(tx, outputAssetRow(job, current.attempt));
      const row = await markJobSucceeded(tx, current, asset.id, 'preview-cpu/1');
      if (!row) tx.rollback();
      return { asset, row: row! };
    });
    expect(succeeded.row).toMatchObject({
      status: 'succeeded',
      outputAssetId: succeeded.asset.id,
      engine: 'preview-cpu/1',
      progress: 1,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    expect(succeeded.row.finishedAt).toBeInstanceOf(Date);
    expect((await outputAssetsOf(job.id)).map((asset) => asset.id)).toEqual([succeeded.asset.id]);

    const found = await findTenantJobWithOutput(db, job.tenantId, job.id);
    expect(found?.job.status).toBe('succeeded');
    expect(found?.outputStorageKey).toBe(`tenants/${job.tenantId}/outputs/${job.id}/2.png`);

    // Succeeded is final: no lease, stale or current, can touch it any more.
    for (const lease of [stale, current]) {
      expect(await markJobSucceeded(db, lease, succeeded.asset.id, 'x')).toBeUndefined();
      expect(await markJobFailed(db, lease, 'late failure', null)).toBeUndefined();
      expect(await releaseJobLease(db, lease, 'late release')).toBeUndefined();
      expect(await renewJobLease(db, lease, 30)).toBe(false);
    }
    expect(await mustFindJob(job.id)).toMatchObject({ status: 'succeeded', errorMessage: null });
  });
});

describe('assets', () => {
  it('allows only one output asset per job', async () => {
    const job = await createJob(await createOwner());
    await insertOutputAsset(db, outputAssetRow(job, 1));
    await expectSqlState(insertOutputAsset(db, outputAssetRow(job, 2)), '23505');
    expect(await outputAssetsOf(job.id)).toHaveLength(1);
  });

  it('upsertInputAsset returns the existing row for the same tenant and content', async () => {
    const owner = await createOwner();
    const hash = randomBytes(32).toString('hex');
    const first = await upsertInputAsset(db, inputAssetRow(owner.tenant.id, { contentHash: hash }));
    const second = await upsertInputAsset(db, inputAssetRow(owner.tenant.id, { contentHash: hash }));
    expect(second.id).toBe(first.id);
    // The same row, its retention clock restarted by the second upload.
    const { lastUsedAt: firstUse, ...firstRest } = first;
    const { lastUsedAt: secondUse, ...secondRest } = second;
    expect(secondRest).toEqual(firstRest);
    expect(secondUse.getTime()).toBeGreaterThanOrEqual(firstUse.getTime());
  });

  it('upsertInputAsset converges on one row under 10 concurrent uploads', async () => {
    const owner = await createOwner();
    const hash = randomBytes(32).toString('hex');
    const rows = await Promise.all(
      Array.from({ length: 10 }, () => upsertInputAsset(db, inputAssetRow(owner.tenant.id, { contentHash: hash }))),
    );
    expect(new Set(rows.map((row) => row.id)).size).toBe(1);
    const stored = await db
      .select()
      .from(schema.assets)
      .where(sql`${schema.assets.tenantId} = ${owner.tenant.id} AND ${schema.assets.contentHash} = ${hash}`);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.id).toBe(rows[0]!.id);
  });

  it('upsertInputAsset keeps tenants apart, and outputs apart from inputs', async () => {
    const a = await createOwner();
    const b = await createOwner();
    const hash = randomBytes(32).toString('hex');
    const forA = await upsertInputAsset(db, inputAssetRow(a.tenant.id, { contentHash: hash }));
    const forB = await upsertInputAsset(db, inputAssetRow(b.tenant.id, { contentHash: hash }));
    expect(forB.id).not.toBe(forA.id);
    expect(forB.tenantId).toBe(b.tenant.id);

    // An output with the same bytes is a different asset.
    const job = await createJob(a);
    const output = await insertOutputAsset(db, outputAssetRow(job, 1, { contentHash: hash }));
    expect(output.id).not.toBe(forA.id);
    expect((await upsertInputAsset(db, inputAssetRow(a.tenant.id, { contentHash: hash }))).id).toBe(forA.id);
  });
});

describe('sweepExpiredJobs', () => {
  const QUEUE_TIMEOUT = 3600;

  it('requeues a job whose lease expired with attempts left, and writes an outbox row for it', async () => {
    const job = await createJob(await createOwner(), { enginePool: 'sweep-pool' });
    await claimAs(job, 0.2);
    // The first dispatch was delivered long ago.
    await deleteDispatchOutbox(db, job.id);
    await waitForLeaseExpiry(0.2);

    const result = await sweepExpiredJobs(db, QUEUE_TIMEOUT, 1000);
    expect(result.requeued).toContainEqual({ jobId: job.id, enginePool: 'sweep-pool' });
    expect(result.failedLeases).not.toContain(job.id);
    expect(await mustFindJob(job.id)).toMatchObject({
      status: 'queued',
      leaseOwner: null,
      leaseExpiresAt: null,
      progress: null,
      attempts: 1,
    });
    expect(await outboxRow(job.id)).toBeDefined();

    // Swept once: a second sweep leaves it alone, and it can be claimed again as attempt 2.
    const again = await sweepExpiredJobs(db, QUEUE_TIMEOUT, 1000);
    expect(again.requeued.map((entry) => entry.jobId)).not.toContain(job.id);
    expect((await claimAs(job, 30)).attempt).toBe(2);
  });

  it('fails a job whose lease expired on its last attempt', async () => {
    const job = await createJob(await createOwner(), { maxAttempts: 2 });
    await claimAs(job, 0.2);
    await waitForLeaseExpiry(0.2);
    await claimAs(job, 0.2);
    await deleteDispatchOutbox(db, job.id);
    await waitForLeaseExpiry(0.2);

    const result = await sweepExpiredJobs(db, QUEUE_TIMEOUT, 1000);
    expect(result.failedLeases).toContain(job.id);
    expect(result.requeued.map((entry) => entry.jobId)).not.toContain(job.id);
    const stored = await mustFindJob(job.id);
    expect(stored).toMatchObject({ status: 'failed', leaseOwner: null, leaseExpiresAt: null, attempts: 2 });
    expect(stored.errorMessage).toMatch(/stopped responding 2 time\(s\)/);
    expect(stored.finishedAt).toBeInstanceOf(Date);
    expect(await outboxRow(job.id)).toBeUndefined();
  });

  it('leaves a running job with a live lease alone', async () => {
    const job = await createJob(await createOwner());
    const lease = await claimAs(job, 60);
    const result = await sweepExpiredJobs(db, QUEUE_TIMEOUT, 1000);
    const touched = [...result.requeued.map((entry) => entry.jobId), ...result.failedLeases, ...result.expiredQueued];
    expect(touched).not.toContain(job.id);
    expect(await mustFindJob(job.id)).toMatchObject({ status: 'running', leaseOwner: lease.workerId });
  });

  it('fails queued jobs waiting longer than the queue timeout and keeps younger ones', async () => {
    const owner = await createOwner();
    const past = (seconds: number) => new Date(Date.now() - seconds * 1000);
    const old = await createJob(owner, { createdAt: past(QUEUE_TIMEOUT + 60), queuedAt: past(QUEUE_TIMEOUT + 60) });
    const young = await createJob(owner, { createdAt: past(QUEUE_TIMEOUT - 60), queuedAt: past(QUEUE_TIMEOUT - 60) });

    const result = await sweepExpiredJobs(db, QUEUE_TIMEOUT, 1000);
    expect(result.expiredQueued).toContain(old.id);
    expect(result.expiredQueued).not.toContain(young.id);
    const failed = await mustFindJob(old.id);
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toMatch(new RegExp(`within ${QUEUE_TIMEOUT} seconds`));
    expect(failed.finishedAt).toBeInstanceOf(Date);
    expect(await mustFindJob(young.id)).toMatchObject({ status: 'queued', errorMessage: null });
  });

  it('measures the queue timeout from when a job was last queued, not from its creation', async () => {
    const owner = await createOwner();
    const longAgo = new Date(Date.now() - (QUEUE_TIMEOUT + 600) * 1000);

    // Submitted long ago, ran past the queue timeout, then its worker vanished: the sweep requeues it.
    const swept = await createJob(owner, { createdAt: longAgo, queuedAt: longAgo });
    await claimAs(swept, 0.2);
    await waitForLeaseExpiry(0.2);
    // Handed back by its worker after a retryable failure.
    const released = await createJob(owner, { createdAt: longAgo, queuedAt: longAgo });
    expect(await releaseJobLease(db, await claimAs(released, 30), 'engine hiccup')).toBe('queued');

    const first = await sweepExpiredJobs(db, QUEUE_TIMEOUT, 1000);
    expect(first.requeued.map((entry) => entry.jobId)).toContain(swept.id);
    expect(first.expiredQueued).not.toContain(released.id);

    // Both are freshly queued now: the next sweep must not time them out.
    const second = await sweepExpiredJobs(db, QUEUE_TIMEOUT, 1000);
    expect(second.expiredQueued).not.toContain(swept.id);
    expect(second.expiredQueued).not.toContain(released.id);
    expect(await mustFindJob(swept.id)).toMatchObject({ status: 'queued', errorMessage: null });
    expect(await mustFindJob(released.id)).toMatchObject({ status: 'queued', errorMessage: null });
  });
});

describe('findStaleDispatches', () => {
  it('returns only outbox rows older than the grace period', async () => {
    const owner = await createOwner();
    const fresh = await createJob(owner, { enginePool: 'fresh-pool' });
    const stale = await createJob(owner, { enginePool: 'stale-pool' });
    await db
      .update(schema.dispatchOutbox)
      .set({ createdAt: new Date(Date.now() - 120_000) })
      .where(eq(schema.dispatchOutbox.jobId, stale.id));

    const found = await findStaleDispatches(db, 60, 1000);
    expect(found).toContainEqual({ jobId: stale.id, enginePool: 'stale-pool' });
    expect(found.map((entry) => entry.jobId)).not.toContain(fresh.id);

    // Within the grace period of a longer window, neither is stale.
    const longer = await findStaleDispatches(db, 600, 1000);
    expect(longer.map((entry) => entry.jobId)).not.toContain(stale.id);

    // Once relayed (row deleted) it is no longer reported.
    await deleteDispatchOutbox(db, stale.id);
    expect((await findStaleDispatches(db, 60, 1000)).map((entry) => entry.jobId)).not.toContain(stale.id);
  });
});

describe('findTenantJobWithOutput', () => {
  it("finds a tenant's own job and nothing for another tenant", async () => {
    const a = await createOwner();
    const b = await createOwner();
    const job = await createJob(a);
    const own = await findTenantJobWithOutput(db, a.tenant.id, job.id);
    expect(own?.job.id).toBe(job.id);
    expect(own?.outputStorageKey).toBeNull();
    expect(await findTenantJobWithOutput(db, b.tenant.id, job.id)).toBeUndefined();
    expect(await findTenantJobWithOutput(db, a.tenant.id, newId('job'))).toBeUndefined();
  });
});

describe('api keys', () => {
  it('findActiveApiKeyByHash finds a live key and ignores a revoked one', async () => {
    const tenant = await createTenant();
    const key = await createApiKey(tenant.id, { mode: 'live', scopes: ['jobs:read'] });
    expect(await findActiveApiKeyByHash(db, key.keyHash)).toEqual({
      id: key.id,
      tenantId: tenant.id,
      mode: 'live',
      scopes: ['jobs:read'],
      expiresAt: null,
      requestsPerMinute: 6000,
      allowedModels: null,
    });
    expect(await findActiveApiKeyByHash(db, sha256('unknown'))).toBeUndefined();

    expect(await revokeApiKey(db, key.id)).toBe(true);
    expect(await findActiveApiKeyByHash(db, key.keyHash)).toBeUndefined();
    // Revoking twice changes nothing.
    const revokedAt = (await findApiKeyById(db, key.id))?.revokedAt;
    expect(revokedAt).toBeInstanceOf(Date);
    expect(await revokeApiKey(db, key.id)).toBe(false);
    expect((await findApiKeyById(db, key.id))?.revokedAt).toEqual(revokedAt);
  });

  it('findActiveApiKeyByHash still accepts a key revoked at a future instant (rotation grace)', async () => {
    const tenant = await createTenant();
    const key = await createApiKey(tenant.id, { revokedAt: new Date(Date.now() + 3600_000) });
    expect(await findActiveApiKeyByHash(db, key.keyHash)).toMatchObject({ id: key.id });
  });

  it('touchApiKeyLastUsed writes at most once per interval', async () => {
    const tenant = await createTenant();
    const key = await createApiKey(tenant.id);
    expect(key.lastUsedAt).toBeNull();

    await touchApiKeyLastUsed(db, key.id, 3600);
    const first = (await findApiKeyById(db, key.id))?.lastUsedAt;
    expect(first).toBeInstanceOf(Date);

    await sleep(20);
    await touchApiKeyLastUsed(db, key.id, 3600);
    expect((await findApiKeyById(db, key.id))?.lastUsedAt).toEqual(first);

    // Past the interval (here: none), the next use is written.
    await touchApiKeyLastUsed(db, key.id, 0);
    const later = (await findApiKeyById(db, key.id))?.lastUsedAt;
    expect(later!.getTime()).toBeGreaterThan(first!.getTime());
  });
});
