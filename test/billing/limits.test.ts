import { PreviewEngine, WorkerAgent } from '@kontext/gpu-worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { sampleWhile, tenantMoney, withSql } from '../harness/sql.ts';

// Active-job limits hold under concurrency, and a refusal by one limit consumes nothing of the
// others (credits, slots, rate allowance).

let platform: TestPlatform;
const agents: WorkerAgent[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({ workerLoops: 0 });
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop(1000)));
});

afterAll(async () => {
  await platform?.stop();
});

function runSlowWorkers(count: number, stepDelayMs: number): void {
  for (let i = 0; i < count; i++) {
    const agent = new WorkerAgent({ ctx: platform.ctx, engine: new PreviewEngine({ stepDelayMs }), enginePool: 'kontext-dev', receiveWaitSeconds: 1 });
    agent.start();
    agents.push(agent);
  }
}

describe('active-job limits', () => {
  it('limit 5 with 40 concurrent submits: never more than 5 active at any sampled instant', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 1000, limits: { max_active_jobs: 5, requests_per_minute_per_key: 100_000 } });
    runSlowWorkers(2, 20);
    await withSql(platform.database.url, async (sql) => {
      const sampler = sampleWhile(sql, async (s) => {
        const [row] = await s<{ active: number; counter: number }[]>`
          SELECT (SELECT count(*)::int FROM jobs WHERE tenant_id = ${tenant.tenantId} AND status IN ('queued', 'running')) AS active,
                 (SELECT active_jobs FROM tenants WHERE id = ${tenant.tenantId}) AS counter`;
        return row!;
      });
      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => tenant.api.submit({ prompt: `slot ${i}` })));
      const accepted = responses.filter((r) => r.status === 200);
      await Promise.all(accepted.map((r) => tenant.api.waitForResult(r.body.id, { timeoutMs: 30_000 })));
      const samples = await sampler.stop();

      expect(accepted).toHaveLength(5);
      const refused = responses.filter((r) => r.status !== 200);
      expect(refused.map((r) => r.status)).toEqual(Array(35).fill(429));
      for (const r of refused) {
        expect(r.body).toMatchObject({ status: 429, limit: 'max_active_jobs', limit_value: 5 });
      }
      expect(samples.length).toBeGreaterThan(10);
      expect(Math.max(...samples.map((s) => s.active))).toBeLessThanOrEqual(5);
      expect(Math.max(...samples.map((s) => s.counter))).toBeLessThanOrEqual(5);
      expect(await tenantMoney(sql, tenant.tenantId)).toMatchObject({ activeJobs: 0, reserved: 0, available: 1000 - 5 * 2 });
    });
  }, 60_000);

  it("a model's own limit (6 for flux-kontext-max) applies within the tenant's", async () => {
    const tenant = await platform.createTenantWithKey({ credits: 1000, limits: { max_active_jobs: 24, requests_per_minute_per_key: 100_000 } });
    const max = await Promise.all(Array.from({ length: 10 }, () => tenant.api.submit({ prompt: 'max' }, { model: 'flux-kontext-max' })));
    expect(max.filter((r) => r.status === 200)).toHaveLength(6);
    const refused = max.filter((r) => r.status === 429);
    expect(refused).toHaveLength(4);
    expect(refused[0]?.body).toMatchObject({ limit: 'max_active_jobs.flux-kontext-max', limit_value: 6 });
    // Other models still have room under the tenant's 24.
    expect((await tenant.api.submit({ prompt: 'dev' })).status).toBe(200);
    // Cancel everything: the slots come back.
    const ids = [...max.filter((r) => r.status === 200).map((r) => r.body.id)];
    for (const id of ids) expect((await tenant.api.request('POST', `/v1/jobs/${id}/cancel`)).status).toBe(200);
    expect((await tenant.api.submit({ prompt: 'max again' }, { model: 'flux-kontext-max' })).status).toBe(200);
  });
});

describe('a refusal by one limit consumes none of the others', () => {
  it('refused for active jobs: credits untouched and the rate allowance given back', async () => {
    // 6 requests a minute: one every 10 s, so nothing refills during the test.
    const tenant = await platform.createTenantWithKey({ credits: 100, limits: { max_active_jobs: 1, requests_per_minute_per_key: 6 } });
    const first = await tenant.api.submit({ prompt: 'holds the only slot' });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-remaining')).toBe('5');
    const before = await withSql(platform.database.url, (sql) => tenantMoney(sql, tenant.tenantId));

    const refused = await tenant.api.submit({ prompt: 'no slot left' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ limit: 'max_active_jobs' });
    expect(await withSql(platform.database.url, (sql) => tenantMoney(sql, tenant.tenantId))).toEqual(before);

    // Had the refused submit spent an allowance, this would say 3.
    const next = await tenant.api.request('GET', '/v1/credits');
    expect(next.headers.get('ratelimit-remaining')).toBe('4');
  });

  it('refused for credits: no active slot taken and the rate allowance given back', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 1, limits: { max_active_jobs: 5, requests_per_minute_per_key: 6 } });
    const refused = await tenant.api.submit({ prompt: 'too expensive' });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ balance: 1, price: 2 });
    expect(await withSql(platform.database.url, (sql) => tenantMoney(sql, tenant.tenantId))).toEqual({
      available: 1,
      reserved: 0,
      activeJobs: 0,
      ledgerSum: 1,
    });
    const next = await tenant.api.request('GET', '/v1/credits');
    expect(next.headers.get('ratelimit-remaining')).toBe('5');
  });

  it('refused by the rate limit: no credits or slots taken', async () => {
    const tenant = await platform.createTenantWithKey({ credits: 100, limits: { max_active_jobs: 50, requests_per_minute_per_key: 2 } });
    expect((await tenant.api.submit({ prompt: 'one' })).status).toBe(200);
    expect((await tenant.api.submit({ prompt: 'two' })).status).toBe(200);
    const limited = await tenant.api.submit({ prompt: 'three' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ limit: 'requests_per_minute_per_key', limit_value: 2 });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('ratelimit-limit')).toBe('2');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(await withSql(platform.database.url, (sql) => tenantMoney(sql, tenant.tenantId))).toMatchObject({
      available: 96,
      reserved: 4,
      activeJobs: 2,
    });
  });
});
