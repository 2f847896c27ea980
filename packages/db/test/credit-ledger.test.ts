import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../core/src/ids.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/database.ts';
import {
  LEDGER_WRITERS,
  cancelJob,
  claimJob,
  connectDatabase,
  grantCredits,
  insertApiKey,
  insertOutputAsset,
  insertSubmittedJob,
  insertTenant,
  isUniqueViolation,
  markJobFailed,
  markJobSucceeded,
  releaseJobLease,
  schema,
  sweepExpiredJobs,
  type Database,
  type DatabaseHandle,
  type WorkerLease,
} from '../src/index.ts';

// "A tenant's available credits are the sum of its ledger", over random mixes of every path that
// moves credits: opening balances, operator grants and debits, submits (live and test, free and
// paid, refused by a limit), claims, success, failure, release, cancel and the lease sweep, with
// jobs picked at random so late and duplicate moves (a cancel of a finished job, a success after
// the lease was swept) happen too. Checked against a real database, so the trigger is in the loop.

let database: TestDatabase;
let handle: DatabaseHandle;
let db: Database;
let raw: postgres.Sql;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = connectDatabase(database.url, { maxConnections: 4, applicationName: 'credit-ledger-test' });
  db = handle.db;
  raw = postgres(database.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await raw?.end();
  await handle?.close();
  await database?.drop();
});

const MODELS = ['flux-kontext-pro', 'flux-kontext-max'] as const;

type Step =
  | { kind: 'submit'; mode: 'live' | 'test'; cost: number; model: (typeof MODELS)[number] }
  | { kind: 'grant'; amount: number }
  | { kind: 'claim' | 'succeed' | 'fail' | 'release' | 'cancel' | 'expire'; pick: number }
  | { kind: 'sweep' };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('submit' as const), mode: fc.constantFrom('live' as const, 'test' as const), cost: fc.integer({ min: 0, max: 6 }), model: fc.constantFrom(...MODELS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grant' as const), amount: fc.integer({ min: -15, max: 15 }).filter((n) => n !== 0) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('claim' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('succeed' as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('fail' as const, 'release' as const, 'cancel' as const, 'expire' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
);

interface Scenario {
  openingCredits: number;
  maxActiveJobs: number;
  modelActiveLimit: number | null;
  steps: Step[];
}

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  openingCredits: fc.integer({ min: 0, max: 40 }),
  maxActiveJobs: fc.integer({ min: 1, max: 4 }),
  modelActiveLimit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 40 }),
});

/** Runs one scenario for a tenant of its own; returns the tenant id. */
async function play(scenario: Scenario): Promise<string> {
  const tenant = await insertTenant(db, {
    id: newId('tenant'),
    name: 'Ledger property',
    initialCredits: scenario.openingCredits,
    maxActiveJobs: scenario.maxActiveJobs,
    requestsPerMinutePerKey: 6000,
    allowedModels: null,
    retentionDays: 30,
  });
  const apiKey = await insertApiKey(db, {
    id: newId('apiKey'),
    tenantId: tenant.id,
    name: 'ledger',
    mode: 'live',
    keyHash: randomBytes(32).toString('hex'),
    displayPrefix: 'kx_live_',
    lastFour: 'abcd',
  });
  const jobIds: string[] = [];
  const leases = new Map<string, WorkerLease>();
  // Moves pick among the newest few jobs, so a claim is often followed by a move of the same job.
  const pick = (n: number): string | undefined => jobIds[jobIds.length - 1 - (n % Math.min(3, jobIds.length))];
  for (const step of scenario.steps) {
    if (step.kind === 'submit') {
      const id = newId('job');
      const live = step.mode === 'live';
      const outcome = await insertSubmittedJob(
        db,
        {
          id, tenantId: tenant.id, apiKeyId: apiKey.id, mode: step.mode, requestId: newId('request'), model: step.model,
          enginePool: 'preview', prompt: 'ledger', seed: 1, width: 512, height: 512, aspectRatio: null, outputFormat: 'png',
          steps: 4, guidance: 2.5, safetyTolerance: 2, costCredits: step.cost, inputMegapixels: 0, outputMegapixels: 0.26,
          webhookUrl: null, webhookSecret: null, maxAttempts: 2,
        },
        [],
        { reserveCredits: live ? step.cost : 0, holdsActiveSlot: live, modelActiveLimit: scenario.modelActiveLimit },
        { kind: 'outbox' },
      );
      if (outcome.admitted) jobIds.push(id);
    } else if (step.kind === 'grant') {
      await grantCredits(db, { tenantId: tenant.id, amount: step.amount, reason: 'property' });
    } else if (step.kind === 'sweep') {
      await sweepExpiredJobs(db, 3600, 100);
    } else {
      const jobId = pick(step.pick);
      if (!jobId) continue;
      const lease = leases.get(jobId) ?? { jobId, workerId: 'wrk_none', attempt: 0 };
      switch (step.kind) {
        case 'claim': {
          const workerId = newId('worker');
          const claimed = await claimJob(db, { jobId, workerId, leaseSeconds: 60 });
          if (claimed) leases.set(jobId, { jobId, workerId, attempt: claimed.attempts });
          break;
        }
        case 'succeed':
          // As completeJob does: the output and the move in one transaction, rolled back if the lease is gone.
          await db
            .transaction(async (tx) => {
              const asset = await insertOutputAsset(tx, {
                id: newId('asset'), tenantId: tenant.id, kind: 'output', contentHash: randomBytes(32).toString('hex'),
                byteSize: 100, width: 512, height: 512, format: 'png', storageKey: `ledger/${jobId}/${lease.attempt}.png`,
                producingJobId: jobId,
              });
              if (!(await markJobSucceeded(tx, lease, asset.id, 'preview-cpu/1'))) throw new LeaseGone();
            })
            .catch((error: unknown) => {
              // A second success of a finished job collides on its output asset, as in completeJob.
              if (!(error instanceof LeaseGone) && !isUniqueViolation(error)) throw error;
            });
          break;
        case 'fail':
          await markJobFailed(db, lease, 'property failure', null);
          break;
        case 'release':
          await releaseJobLease(db, lease, 'property release');
          break;
        case 'cancel':
          await cancelJob(db, tenant.id, jobId);
          break;
        case 'expire':
          // The worker stops heart-beating: its lease lapses, and the next sweep sees it.
          await db.update(schema.jobs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(schema.jobs.id, jobId));
          break;
      }
    }
  }
  return tenant.id;
}

class LeaseGone extends Error {}

interface Books {
  available: string;
  reserved: string;
  activeJobs: number;
  activeByModel: Record<string, number>;
  ledgerSum: string;
  lastBalance: string | null;
  reservedByJobs: string;
  liveActiveJobs: number;
  liveActiveByModel: Record<string, number>;
  unclosedOrDoubleClosed: number;
}

async function books(tenantId: string): Promise<Books> {
  const [row] = await raw<Books[]>`
    SELECT t.credits_available::text AS available, t.credits_reserved::text AS reserved,
           t.active_jobs AS "activeJobs", t.active_jobs_by_model AS "activeByModel",
           (SELECT COALESCE(sum(amount), 0)::text FROM credit_ledger WHERE tenant_id = t.id) AS "ledgerSum",
           (SELECT balance_after::text FROM credit_ledger WHERE tenant_id = t.id ORDER BY id DESC LIMIT 1) AS "lastBalance",
           (SELECT COALESCE(sum(cost_credits), 0)::text FROM jobs
             WHERE tenant_id = t.id AND mode = 'live' AND status IN ('queued', 'running')) AS "reservedByJobs",
           (SELECT count(*)::int FROM jobs WHERE tenant_id = t.id AND mode = 'live' AND status IN ('queued', 'running')) AS "liveActiveJobs",
           (SELECT COALESCE(jsonb_object_agg(model, n), '{}'::jsonb) FROM (
              SELECT model, count(*)::int AS n FROM jobs
              WHERE tenant_id = t.id AND mode = 'live' AND status IN ('queued', 'running') GROUP BY model) m) AS "liveActiveByModel",
           -- Every finished paid live job has its reservation closed exactly once (settle or refund).
           (SELECT count(*)::int FROM jobs j
             WHERE j.tenant_id = t.id AND j.mode = 'live' AND j.cost_credits > 0 AND j.status NOT IN ('queued', 'running')
               AND (SELECT count(*) FROM credit_ledger l WHERE l.job_id = j.id AND l.kind IN ('settle', 'refund')) <> 1) AS "unclosedOrDoubleClosed"
    FROM tenants t WHERE t.id = ${tenantId}`;
  if (!row) throw new Error(`no tenant ${tenantId}`);
  return row;
}

/** A tenant's per-model counts, without the models whose count went back to zero. */
function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}

describe('the credit ledger', () => {
  it('has one writer per kind of entry, and the database knows exactly those kinds', async () => {
    const rows = await raw<{ kind: string }[]>`SELECT unnest(enum_range(NULL::ledger_entry_kind))::text AS kind`;
    expect(rows.map((row) => row.kind).sort()).toEqual(Object.keys(LEDGER_WRITERS).sort());
    // The trigger writes only the kinds this module says it writes.
    const [trigger] = await raw<{ source: string }[]>`SELECT prosrc AS source FROM pg_proc WHERE proname = 'finalize_job_accounting'`;
    const written = [...(trigger?.source ?? '').matchAll(/'(\w+)'\s*ELSE\s*'(\w+)'\s*END\)::ledger_entry_kind/g)].flatMap((m) => [m[1], m[2]]);
    expect(written.sort()).toEqual(
      Object.entries(LEDGER_WRITERS).filter(([, writer]) => writer.startsWith('trigger')).map(([kind]) => kind).sort(),
    );
  });

  it('sums to every tenant balance after any mix of grants, submits and job moves', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const tenantId = await play(scenario);
        const b = await books(tenantId);
        expect(b.ledgerSum).toBe(b.available);
        if (b.lastBalance !== null) expect(b.lastBalance).toBe(b.available);
        expect(b.reserved).toBe(b.reservedByJobs);
        expect(b.activeJobs).toBe(b.liveActiveJobs);
        expect(nonZero(b.activeByModel)).toEqual(b.liveActiveByModel);
        expect(b.unclosedOrDoubleClosed).toBe(0);
        expect(BigInt(b.available)).toBeGreaterThanOrEqual(0n);
      }),
      { numRuns: 100, seed: Number(process.env.PROPERTY_SEED ?? 20261202) },
    );
    // The runs did reach every path: each ledger kind, each way a job ends, and the sweep's requeue.
    const kinds = await raw<{ kind: string }[]>`SELECT DISTINCT kind::text FROM credit_ledger`;
    expect(kinds.map((row) => row.kind).sort()).toEqual(Object.keys(LEDGER_WRITERS).sort());
    const statuses = await raw<{ status: string }[]>`SELECT DISTINCT status::text FROM jobs`;
    expect(statuses.map((row) => row.status)).toEqual(expect.arrayContaining(['succeeded', 'failed', 'canceled', 'queued', 'running']));
    const [requeued] = await raw<{ n: number }[]>`SELECT count(*)::int AS n FROM job_events WHERE data ->> 'status' = 'queued'`;
    expect(requeued?.n).toBeGreaterThan(0);
  }, 240_000);
});
