import { EngineError, PreviewEngine, type Engine } from '@kontext/gpu-worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedEngine, TestWorkers } from '../harness/engines.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { jobLedger, sampleWhile, tenantMoney, withSql } from '../harness/sql.ts';

// Money: reserved on submit in one conditional statement, settled on success, refunded on
// failure and cancel, exactly once per job, with a ledger that always sums to the balance.

let platform: TestPlatform;
let workers: TestWorkers;
const DEV_PRICE = 2;

beforeAll(async () => {
  // No built-in workers: jobs stay queued (credits reserved) until a test starts an agent.
  platform = await startTestPlatform({ workerLoops: 0, leaseSeconds: 2 });
  workers = new TestWorkers(platform.ctx);
});

afterEach(async () => {
  await workers.stopAll();
});

afterAll(async () => {
  await platform?.stop();
});

function runAgent(engine: Engine, enginePool = 'kontext-dev'): void {
  workers.start(engine, enginePool);
}


const generous = { max_active_jobs: 1000, requests_per_minute_per_key: 100_000 };

describe('reserving credits under concurrency', () => {
  it('200 concurrent submits with credits for exactly 50: 50 accepted, 150 refused with 402, never below zero', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 50 * DEV_PRICE, limits: generous });
    await withSql(platform.database.url, async (sql) => {
      const sampler = sampleWhile(sql, async (s) => (await tenantMoney(s, tenant.tenantId)).available);
      const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => tenant.api.submit({ prompt: `race ${i}` })));
      const samples = await sampler.stop();

      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(50);
      expect(statuses.filter((s) => s === 402)).toHaveLength(150);
      for (const refused of responses.filter((r) => r.status === 402)) {
        expect(refused.headers.get('content-type')).toBe('application/problem+json');
        expect(refused.body).toMatchObject({ status: 402, price: DEV_PRICE, balance: expect.any(Number) });
        expect((refused.body as unknown as { detail: string }).detail).toMatch(/costs 2 credits and the balance is \d+/);
      }
      expect(samples.length).toBeGreaterThan(5);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);

      expect(await tenantMoney(sql, tenant.tenantId)).toEqual({ available: 0, reserved: 100, activeJobs: 50, ledgerSum: 0 });
      const [entries] = await sql<{ reserves: number }[]>`
        SELECT count(*)::int AS reserves FROM credit_ledger WHERE tenant_id = ${tenant.tenantId} AND kind = 'reserve'`;
      expect(entries?.reserves).toBe(50);

      // The accepted jobs run: every reservation is settled, once.
      runAgent(new PreviewEngine());
      const accepted = responses.filter((r) => r.status === 200).map((r) => r.body.id);
      await Promise.all(accepted.map((id) => tenant.api.waitForResult(id, { timeoutMs: 60_000 })));
      expect(await tenantMoney(sql, tenant.tenantId)).toEqual({ available: 0, reserved: 0, activeJobs: 0, ledgerSum: 0 });
      const ledgers = await Promise.all(accepted.map((id) => jobLedger(sql, id)));
      for (const ledger of ledgers) expect(ledger).toEqual([`reserve:-${DEV_PRICE}`, 'settle:0']);
    });
  }, 90_000);

  it('the submit response cost is the price reserved, and GET /v1/credits shows available and reserved', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 100, limits: generous });
    const submitted = await tenant.api.submit({ prompt: 'pro' }, { model: 'flux-kontext-pro' });
    expect(submitted.body.cost).toBe(4);
    const credits = await tenant.api.request('GET', '/v1/credits');
    expect(credits.text).toBe('{"credits":96,"reserved":4}');
    // Leave nothing queued for the next test's workers.
    expect((await tenant.api.request('POST', `/v1/jobs/${submitted.body.id}/cancel`)).status).toBe(200);
  });
});

describe('settling, refunding and retrying', () => {
  it('a job retried after a retryable failure is charged once', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 10, limits: generous });
    const engine = new ScriptedEngine((call) => (call === 1 ? new EngineError('engine restarting', true) : undefined));
    runAgent(engine);
    const submitted = await tenant.api.submit({ prompt: 'retry me' });
    expect((await tenant.api.waitForResult(submitted.body.id)).status).toBe('Ready');
    expect(engine.attemptsOf(submitted.body.id)).toBe(2);
    await withSql(platform.database.url, async (sql) => {
      expect(await jobLedger(sql, submitted.body.id)).toEqual([`reserve:-${DEV_PRICE}`, 'settle:0']);
      expect(await tenantMoney(sql, tenant.tenantId)).toEqual({ available: 8, reserved: 0, activeJobs: 0, ledgerSum: 8 });
    });
  });

  it('a failed job is refunded once', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 10, limits: generous });
    runAgent(new ScriptedEngine(() => new EngineError('out of memory', false)));
    const submitted = await tenant.api.submit({ prompt: 'fail me' });
    expect((await tenant.api.waitForResult(submitted.body.id)).status).toBe('Error');
    await withSql(platform.database.url, async (sql) => {
      expect(await jobLedger(sql, submitted.body.id)).toEqual([`reserve:-${DEV_PRICE}`, `refund:${DEV_PRICE}`]);
      expect(await tenantMoney(sql, tenant.tenantId)).toEqual({ available: 10, reserved: 0, activeJobs: 0, ledgerSum: 10 });
      const [usage] = await sql<{ credits: string; outcome: string }[]>`
        SELECT credits::text, outcome::text FROM usage_events WHERE job_id = ${submitted.body.id}`;
      expect(usage).toEqual({ credits: '0', outcome: 'failed' });
    });
  });

  it('a canceled queued job is refunded; canceling again or a finished job is a 409', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 10, limits: generous });
    const submitted = await tenant.api.submit({ prompt: 'cancel me' });
    const canceled = await tenant.api.request('POST', `/v1/jobs/${submitted.body.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'Error', details: { status: 'canceled', reason: 'canceled' } });
    const again = await tenant.api.request('POST', `/v1/jobs/${submitted.body.id}/cancel`);
    expect(again.status).toBe(409);
    await withSql(platform.database.url, async (sql) => {
      expect(await jobLedger(sql, submitted.body.id)).toEqual([`reserve:-${DEV_PRICE}`, `refund:${DEV_PRICE}`]);
      expect(await tenantMoney(sql, tenant.tenantId)).toEqual({ available: 10, reserved: 0, activeJobs: 0, ledgerSum: 10 });
    });
    // The message of the canceled job is dropped by the next worker without running it.
    const engine = new ScriptedEngine(() => undefined);
    runAgent(engine);
    const next = await tenant.api.submitAndWait({ prompt: 'after the cancel' });
    expect(next.status).toBe('Ready');
    expect(engine.attemptsOf(submitted.body.id)).toBe(0);
    expect(engine.attemptsOf(next.id)).toBe(1);
    expect((await tenant.api.request('POST', `/v1/jobs/${next.id}/cancel`)).status).toBe(409);
  });

  it('a canceled running job stops its engine at the next step, stores nothing and is refunded', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 10, limits: generous });
    runAgent(new PreviewEngine({ stepDelayMs: 100 }));
    const submitted = await tenant.api.submit({ prompt: 'cancel me while running' });
    await tenant.api.waitForResult(submitted.body.id, { until: (body) => (body.progress ?? 0) > 0.05, timeoutMs: 10_000 });
    const started = Date.now();
    expect((await tenant.api.request('POST', `/v1/jobs/${submitted.body.id}/cancel`)).status).toBe(200);
    await expect.poll(() => platform.logs.some((line) => line.includes(submitted.body.id) && line.includes('job abandoned')), { timeout: 5000 }).toBe(true);
    // Stopped at a progress write (every 200 ms), not at the end of the 2.8 s prediction.
    expect(Date.now() - started).toBeLessThan(2000);
    await withSql(platform.database.url, async (sql) => {
      const [job] = await sql<{ status: string; outputs: number }[]>`
        SELECT status::text, (SELECT count(*)::int FROM assets WHERE producing_job_id = ${submitted.body.id}) AS outputs
        FROM jobs WHERE id = ${submitted.body.id}`;
      expect(job).toEqual({ status: 'canceled', outputs: 0 });
      expect(await tenantMoney(sql, tenant.tenantId)).toEqual({ available: 10, reserved: 0, activeJobs: 0, ledgerSum: 10 });
    });
  });
});

describe('test-mode keys', () => {
  it('run on the preview engine, cost nothing and never reach the GPU queue', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 10, limits: generous, mode: 'test' });
    const live = await platform.createTenantWithKey({ credits: 10, limits: generous });
    const test = await tenant.api.submit({ prompt: 'ci run', seed: 1 }, { model: 'flux-kontext-max' });
    const liveJob = await live.api.submit({ prompt: 'real run' });
    expect(test.status).toBe(200);
    expect(test.body.cost).toBe(0);
    await withSql(platform.database.url, async (sql) => {
      const queues = await sql<{ queue: string; job_id: string }[]>`SELECT queue, body->>'jobId' AS job_id FROM queue_messages`;
      expect(queues).toContainEqual({ queue: 'jobs-preview', job_id: test.body.id });
      expect(queues).toContainEqual({ queue: 'jobs-kontext-dev', job_id: liveJob.body.id });
      expect(queues.filter((q) => q.job_id === test.body.id)).toHaveLength(1);
    });
    // Only a preview worker runs: the test job finishes, the live one keeps waiting for a GPU.
    runAgent(new PreviewEngine(), 'preview');
    const result = await tenant.api.waitForResult(test.body.id);
    expect(result.status).toBe('Ready');
    expect(result.details?.engine).toBe('preview-cpu/1');
    expect((await live.api.getResult(liveJob.body.id)).body.status).toBe('Pending');
    await withSql(platform.database.url, async (sql) => {
      expect(await jobLedger(sql, test.body.id)).toEqual([]);
      expect(await tenantMoney(sql, tenant.tenantId)).toEqual({ available: 10, reserved: 0, activeJobs: 0, ledgerSum: 10 });
      const [usage] = await sql<{ mode: string; credits: string }[]>`SELECT mode::text, credits::text FROM usage_events WHERE job_id = ${test.body.id}`;
      expect(usage).toEqual({ mode: 'test', credits: '0' });
    });
  });
});
