import { histogramQuantileMs, usageLatencyBucket, USAGE_HISTOGRAM_BUCKETS, type UsageFigures, type UsageResponse, sleep } from '@kontext/core';
import { EngineError, PreviewEngine, WorkerAgent, type Engine, type EngineOutput, type EngineRequest } from '@kontext/gpu-worker';
import { describe, expect } from 'vitest';
import type { ApiClient, ApiResponse } from '../../../test/harness/api-client.ts';
import { test } from '../../../test/harness/fixtures.ts';
import { withSql } from '../../../test/harness/sql.ts';
import type { TestPlatform } from '../../../test/harness/platform.ts';

// GET /v1/usage (and the operator's GET /admin/v1/usage) over real jobs: two models, two keys of
// one tenant (one live, one test), jobs that succeed, fail (scripted engine error) and one
// canceled while no worker ran. The figures are checked against the price list, against a direct
// aggregation over usage_events and against the histogram math of @kontext/core.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PRICE = { 'flux-kontext-dev': 2, 'flux-kontext-pro': 4 } as const;
type Model = keyof typeof PRICE;

// No built-in workers: the scenario runs its own agents, with an engine it scripts.
test.override({ platformOptions: { workerLoops: 0 } });

/** The scenario, run once for the file; its tests only read. */
const it = test.extend('scenario', { scope: 'file' }, async ({ platform }) => runScenario(platform));

/** Delegates to the preview engine; a prompt starting with "fail" fails for good, one with "slow" takes a little longer. */
class ScriptedEngine implements Engine {
  readonly id = 'scripted/1';
  readonly #preview = new PreviewEngine();
  async start() {}
  health() {
    return { state: 'ready' } as const;
  }
  async stop() {}
  async predict(request: EngineRequest, options: Parameters<Engine['predict']>[1]): Promise<EngineOutput> {
    if (request.prompt.startsWith('fail')) throw new EngineError(`scripted failure: ${request.prompt}`, false);
    if (request.prompt.includes('slow')) await sleep(250);
    return this.#preview.predict(request, options);
  }
}

interface PlannedJob {
  client: 'live' | 'test';
  model: Model;
  prompt: string;
  outcome: 'succeeded' | 'failed';
}

/** What tenant A ran, after the cancel: the outcome each job must reach. */
const PLAN: readonly PlannedJob[] = [
  { client: 'live', model: 'flux-kontext-dev', prompt: 'ok one', outcome: 'succeeded' },
  { client: 'live', model: 'flux-kontext-dev', prompt: 'ok two, slow', outcome: 'succeeded' },
  { client: 'live', model: 'flux-kontext-pro', prompt: 'ok three', outcome: 'succeeded' },
  { client: 'live', model: 'flux-kontext-dev', prompt: 'fail four', outcome: 'failed' },
  { client: 'test', model: 'flux-kontext-dev', prompt: 'ok five, slow', outcome: 'succeeded' },
  { client: 'test', model: 'flux-kontext-pro', prompt: 'fail six', outcome: 'failed' },
];
const CANCELED_MODEL: Model = 'flux-kontext-pro';
const TENANT_A_CREDITS = 1000;

interface Scenario {
  tenantA: string;
  tenantB: string;
  liveKeyId: string;
  testKeyId: string;
  bKeyId: string;
  a: { live: ApiClient; test: ApiClient; noUsageScope: ApiClient };
  b: ApiClient;
  jobIds: string[];
  /** Jobs A finished, by the API's dimensions. */
  expected: {
    jobs: number;
    credits: number;
    byModel: Record<string, Totals>;
    byKey: Record<string, Totals>;
    byStatus: Record<string, Totals>;
    byMode: Record<string, Totals>;
  };
  /** An hour-granularity range of 3 hours around the scenario, not aligned to the hour. */
  range: { from: string; to: string };
}

interface Totals {
  jobs: number;
  credits: number;
}

function tally(into: Record<string, Totals>, key: string, credits: number): void {
  const entry = into[key] ?? { jobs: 0, credits: 0 };
  entry.jobs += 1;
  entry.credits += credits;
  into[key] = entry;
}

async function issueTenantKey(platform: TestPlatform, tenantId: string, body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const response = await platform.admin.request<{ id: string; key: string }>('POST', `/admin/v1/tenants/${tenantId}/keys`, { json: body });
  if (response.status !== 201) throw new Error(`key issue failed: ${response.status} ${response.text}`);
  return response.body;
}

async function runScenario(p: TestPlatform): Promise<Scenario> {
  const a = await p.createTenantWithKey({ name: 'Usage tenant A', credits: TENANT_A_CREDITS });
  const testKey = await issueTenantKey(p, a.tenantId, { name: 'test key', mode: 'test' });
  const noUsage = await issueTenantKey(p, a.tenantId, { name: 'no usage scope', mode: 'live', scopes: ['jobs:read', 'credits:read'] });
  const clients = { live: a.api, test: p.client(testKey.key), noUsageScope: p.client(noUsage.key) };
  const expected: Scenario['expected'] = { jobs: 0, credits: 0, byModel: {}, byKey: {}, byStatus: {}, byMode: {} };
  const record = (keyId: string, mode: string, model: Model, status: string) => {
    const credits = mode === 'live' && status === 'succeeded' ? PRICE[model] : 0;
    expected.jobs += 1;
    expected.credits += credits;
    tally(expected.byModel, model, credits);
    tally(expected.byKey, keyId, credits);
    tally(expected.byStatus, status, credits);
    tally(expected.byMode, mode, credits);
  };
  const jobIds: string[] = [];

  // Canceled while no worker runs: it finishes as canceled, refunded.
  const toCancel = await a.api.submit({ prompt: 'never runs' }, { model: CANCELED_MODEL });
  expect(toCancel.status).toBe(200);
  const canceled = await a.api.request<{ status: string; details: { status: string } }>('POST', `/v1/jobs/${toCancel.body.id}/cancel`);
  expect(canceled.status).toBe(200);
  expect(canceled.body.details.status).toBe('canceled');
  jobIds.push(toCancel.body.id);
  record(a.keyId, 'live', CANCELED_MODEL, 'canceled');

  // Live jobs run on the model's pool, test-mode jobs on the preview pool: one agent for each.
  const agents = ['kontext-dev', 'preview'].map(
    (enginePool) => new WorkerAgent({ ctx: p.ctx, engine: new ScriptedEngine(), enginePool, receiveWaitSeconds: 1, retryDelaySeconds: 0 }),
  );
  for (const agent of agents) agent.start();
  try {
    for (const job of PLAN) {
      const client = clients[job.client];
      const submitted = await client.submit({ prompt: job.prompt }, { model: job.model });
      expect(submitted.status, submitted.text).toBe(200);
      expect(submitted.body.cost).toBe(job.client === 'live' ? PRICE[job.model] : 0);
      const result = await client.waitForResult(submitted.body.id);
      expect(result.details?.status).toBe(job.outcome);
      jobIds.push(submitted.body.id);
      record(job.client === 'live' ? a.keyId : testKey.id, job.client, job.model, job.outcome);
    }
    // Tenant B runs one job of its own.
    const b = await p.createTenantWithKey({ name: 'Usage tenant B' });
    const bJob = await b.api.submitAndWait({ prompt: 'ok from b' });
    expect(bJob.status).toBe('Ready');
    const now = Date.now();
    return {
      tenantA: a.tenantId,
      tenantB: b.tenantId,
      liveKeyId: a.keyId,
      testKeyId: testKey.id,
      bKeyId: b.keyId,
      a: clients,
      b: b.api,
      jobIds,
      expected,
      range: { from: new Date(now - 2 * HOUR).toISOString(), to: new Date(now + HOUR).toISOString() },
    };
  } finally {
    await Promise.all(agents.map((agent) => agent.stop(1000)));
  }
}

function usageQuery(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, value);
  return search.toString();
}

async function getUsage(
  client: ApiClient,
  params: { from?: string; to?: string; granularity?: string; group_by?: string; mode?: string; tenant_id?: string },
  path = '/v1/usage',
): Promise<UsageResponse> {
  const response = await client.request<UsageResponse>('GET', `${path}?${usageQuery(params)}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

/** Each group's jobs and credits summed over all buckets. */
function groupTotals(usage: UsageResponse): Record<string, Totals> {
  const out: Record<string, Totals> = {};
  for (const bucket of usage.buckets) {
    for (const group of bucket.groups) {
      const entry = out[group.key] ?? { jobs: 0, credits: 0 };
      entry.jobs += group.jobs;
      entry.credits += group.credits;
      out[group.key] = entry;
    }
  }
  return out;
}

function pick(figures: UsageFigures): Totals {
  return { jobs: figures.jobs, credits: figures.credits };
}


/** The first bucket start of a query (the API aligns `from` down to the granularity). */
function alignedFrom(from: string, step: number): number {
  return Math.floor(new Date(from).getTime() / step) * step;
}

describe('GET /v1/usage over one tenant with two models, two keys, every outcome', () => {
  it('totals count every finished job; credits count only succeeded live jobs at the model price', async ({ platform, scenario }) => {
    const usage = await getUsage(scenario.a.live, { ...scenario.range, granularity: 'hour' });
    expect(scenario.expected).toMatchObject({ jobs: PLAN.length + 1, credits: 2 + 2 + 4 });
    expect(usage.group_by).toBe('none');
    expect(usage.granularity).toBe('hour');
    expect(pick(usage.totals)).toEqual({ jobs: scenario.expected.jobs, credits: scenario.expected.credits });
    for (const bucket of usage.buckets) expect(bucket.groups).toEqual([]);

    // Refunded jobs (failed, canceled) and test-mode jobs cost nothing, per event and in the balance.
    const events = await withSql(platform.database.url, (sql) =>
      sql<{ outcome: string; mode: string; credits: string }[]>`
        SELECT outcome::text AS outcome, mode::text AS mode, credits::text AS credits FROM usage_events WHERE tenant_id = ${scenario.tenantA}`,
    );
    expect(events).toHaveLength(scenario.expected.jobs);
    for (const event of events) {
      if (event.outcome !== 'succeeded' || event.mode !== 'live') expect(Number(event.credits), JSON.stringify(event)).toBe(0);
    }
    const credits = await scenario.a.live.request<{ credits: number; reserved: number }>('GET', '/v1/credits');
    expect(credits.body).toEqual({ credits: TENANT_A_CREDITS - scenario.expected.credits, reserved: 0 });
  });

  it.for(['model', 'key', 'status', 'mode'] as const)('group_by=%s splits every bucket into groups that add up to the totals', async (groupBy, { scenario }) => {
    const usage = await getUsage(scenario.a.live, { ...scenario.range, granularity: 'hour', group_by: groupBy });
    expect(usage.group_by).toBe(groupBy);
    for (const bucket of usage.buckets) {
      const sum = bucket.groups.reduce((acc, group) => ({ jobs: acc.jobs + group.jobs, credits: acc.credits + group.credits }), { jobs: 0, credits: 0 });
      expect(sum).toEqual(pick(bucket.totals));
      for (const group of bucket.groups) expect(group.jobs).toBeGreaterThan(0);
    }
    const expected = { model: scenario.expected.byModel, key: scenario.expected.byKey, status: scenario.expected.byStatus, mode: scenario.expected.byMode }[groupBy];
    expect(groupTotals(usage)).toEqual(expected);
    expect(pick(usage.totals)).toEqual({ jobs: scenario.expected.jobs, credits: scenario.expected.credits });
  });

  it('the expected splits are the scenario as designed (prices dev 2, pro 4; refunds cost 0)', ({ scenario }) => {
    expect(scenario.expected.byModel).toEqual({ 'flux-kontext-dev': { jobs: 4, credits: 4 }, 'flux-kontext-pro': { jobs: 3, credits: 4 } });
    expect(scenario.expected.byStatus).toEqual({ succeeded: { jobs: 4, credits: 8 }, failed: { jobs: 2, credits: 0 }, canceled: { jobs: 1, credits: 0 } });
    expect(scenario.expected.byMode).toEqual({ live: { jobs: 5, credits: 8 }, test: { jobs: 2, credits: 0 } });
    expect(scenario.expected.byKey).toEqual({ [scenario.liveKeyId]: { jobs: 5, credits: 8 }, [scenario.testKeyId]: { jobs: 2, credits: 0 } });
  });

  it('every hour bucket of a 3-hour range appears, contiguous and UTC-aligned; percentiles only where there are jobs', async ({ scenario }) => {
    const usage = await getUsage(scenario.a.live, { ...scenario.range, granularity: 'hour' });
    const first = alignedFrom(scenario.range.from, HOUR);
    const to = new Date(scenario.range.to).getTime();
    expect(usage.from).toBe(new Date(first).toISOString());
    // Whole buckets: `to` is rounded up to the end of the bucket it falls in.
    expect(usage.to).toBe(new Date(first + Math.ceil((to - first) / HOUR) * HOUR).toISOString());
    expect(usage.buckets.length).toBeGreaterThanOrEqual(3);
    expect(usage.buckets.length).toBeLessThanOrEqual(4);
    expect(usage.buckets.length).toBe(Math.ceil((to - first) / HOUR));
    usage.buckets.forEach((bucket, i) => {
      const start = new Date(bucket.start).getTime();
      expect(start % HOUR).toBe(0);
      expect(start).toBe(first + i * HOUR);
      expect(start).toBeLessThan(to);
    });
    // The scenario ran in the last minutes: the first bucket (two hours back) is empty.
    expect(usage.buckets[0]?.totals.jobs).toBe(0);
    let withJobs = 0;
    for (const bucket of usage.buckets) {
      const totals = bucket.totals;
      if (totals.jobs > 0) {
        withJobs += 1;
        expect(typeof totals.p50_ms).toBe('number');
        expect(typeof totals.p95_ms).toBe('number');
        expect(totals.p50_ms ?? 0).toBeGreaterThan(0);
        expect(totals.p95_ms ?? 0).toBeGreaterThanOrEqual(totals.p50_ms ?? Infinity);
      } else {
        expect(totals).toEqual({
          jobs: 0, credits: 0, input_mp: 0, output_mp: 0, avg_queue_ms: null, avg_engine_ms: null, p50_ms: null, p95_ms: null,
        });
      }
    }
    expect(withJobs).toBeGreaterThanOrEqual(1);
    expect(usage.totals.p50_ms ?? 0).toBeGreaterThan(0);
  });

  it('an hour-aligned 3-hour range has exactly 3 buckets, and `to` is exclusive', async ({ platform, scenario }) => {
    const thisHour = Math.floor(Date.now() / HOUR) * HOUR;
    const aligned = { from: new Date(thisHour - 2 * HOUR).toISOString(), to: new Date(thisHour + HOUR).toISOString() };
    const usage = await getUsage(scenario.a.live, { ...aligned, granularity: 'hour' });
    expect(usage.buckets.map((bucket) => bucket.start)).toEqual([0, 1, 2].map((i) => new Date(thisHour + (i - 2) * HOUR).toISOString()));
    expect(pick(usage.totals)).toEqual({ jobs: scenario.expected.jobs, credits: scenario.expected.credits });

    // Ending at the start of this hour leaves this hour's bucket (and its jobs) out.
    const before = { from: aligned.from, to: new Date(thisHour).toISOString() };
    const earlier = await getUsage(scenario.a.live, { ...before, granularity: 'hour' });
    expect(earlier.buckets.map((bucket) => bucket.start)).toEqual([0, 1].map((i) => new Date(thisHour + (i - 2) * HOUR).toISOString()));
    const [row] = await withSql(platform.database.url, (sql) =>
      sql<{ jobs: number }[]>`
        SELECT count(*)::int AS jobs FROM usage_events
        WHERE tenant_id = ${scenario.tenantA} AND finished_at >= ${before.from}::timestamptz AND finished_at < ${before.to}::timestamptz`,
    );
    expect(earlier.totals.jobs).toBe(row?.jobs);
  });

  it('day granularity gives the same totals in UTC-day buckets', async ({ scenario }) => {
    const range = { from: new Date(Date.now() - 2 * DAY).toISOString(), to: scenario.range.to };
    const usage = await getUsage(scenario.a.live, { ...range, granularity: 'day', group_by: 'status' });
    const first = alignedFrom(range.from, DAY);
    expect(usage.buckets.length).toBe(Math.ceil((new Date(range.to).getTime() - first) / DAY));
    usage.buckets.forEach((bucket, i) => expect(new Date(bucket.start).getTime()).toBe(first + i * DAY));
    expect(pick(usage.totals)).toEqual({ jobs: scenario.expected.jobs, credits: scenario.expected.credits });
    expect(groupTotals(usage)).toEqual(scenario.expected.byStatus);
  });

  it('mode=test (and mode=live) filters to that mode only', async ({ scenario }) => {
    const test = await getUsage(scenario.a.live, { ...scenario.range, granularity: 'hour', mode: 'test', group_by: 'key' });
    expect(pick(test.totals)).toEqual({ jobs: 2, credits: 0 });
    expect(groupTotals(test)).toEqual({ [scenario.testKeyId]: { jobs: 2, credits: 0 } });
    const live = await getUsage(scenario.a.live, { ...scenario.range, granularity: 'hour', mode: 'live', group_by: 'mode' });
    expect(pick(live.totals)).toEqual({ jobs: 5, credits: 8 });
    expect(groupTotals(live)).toEqual({ live: { jobs: 5, credits: 8 } });
  });

  it('agrees with a direct aggregation over usage_events for the same range', async ({ platform, scenario }) => {
    for (const mode of [undefined, 'live', 'test'] as const) {
      const usage = await getUsage(scenario.a.live, { ...scenario.range, granularity: 'hour', mode });
      const first = new Date(alignedFrom(scenario.range.from, HOUR)).toISOString();
      const [row] = await withSql(platform.database.url, (sql) =>
        sql<{ jobs: number; credits: string }[]>`
          SELECT count(*)::int AS jobs, COALESCE(sum(credits), 0)::text AS credits FROM usage_events
          WHERE tenant_id = ${scenario.tenantA}
            AND finished_at >= ${first}::timestamptz AND finished_at < ${scenario.range.to}::timestamptz
            AND (${mode ?? null}::api_key_mode IS NULL OR mode = ${mode ?? null}::api_key_mode)`,
      );
      expect(row, String(mode)).toBeDefined();
      expect(pick(usage.totals), String(mode)).toEqual({ jobs: row?.jobs, credits: Number(row?.credits) });
    }
  });

  it('the finishing transaction wrote hourly and daily rollup rows', async ({ platform, scenario }) => {
    const rows = await withSql(platform.database.url, (sql) =>
      sql<{ granularity: string; jobs: string; credits: string; starts: string[] }[]>`
        SELECT granularity::text AS granularity, sum(jobs)::text AS jobs, sum(credits)::text AS credits,
               array_agg(DISTINCT bucket_start::text) AS starts
        FROM usage_rollups WHERE tenant_id = ${scenario.tenantA} GROUP BY granularity ORDER BY granularity`,
    );
    expect(rows.map((row) => row.granularity).sort()).toEqual(['day', 'hour']);
    for (const row of rows) {
      expect({ jobs: Number(row.jobs), credits: Number(row.credits) }, row.granularity).toEqual({
        jobs: scenario.expected.jobs,
        credits: scenario.expected.credits,
      });
      const step = row.granularity === 'hour' ? HOUR : DAY;
      for (const start of row.starts) expect(new Date(start).getTime() % step).toBe(0);
    }
  });

  it('p50/p95 are the histogram quantiles of the events total_ms (same or adjacent bucket), p95 >= p50', async ({ platform, scenario }) => {
    const first = new Date(alignedFrom(scenario.range.from, HOUR)).toISOString();
    const events = await withSql(platform.database.url, (sql) =>
      sql<{ model: string; total_ms: number }[]>`
        SELECT model, total_ms FROM usage_events
        WHERE tenant_id = ${scenario.tenantA} AND finished_at >= ${first}::timestamptz AND finished_at < ${scenario.range.to}::timestamptz`,
    );
    expect(events).toHaveLength(scenario.expected.jobs);
    const check = (figures: UsageFigures, totals: number[], label: string) => {
      const histogram = Array<number>(USAGE_HISTOGRAM_BUCKETS).fill(0);
      for (const ms of totals) histogram[usageLatencyBucket(ms)] = (histogram[usageLatencyBucket(ms)] ?? 0) + 1;
      const sorted = [...totals].sort((x, y) => x - y);
      for (const [q, actual] of [
        [0.5, figures.p50_ms],
        [0.95, figures.p95_ms],
      ] as const) {
        expect(actual, `${label} p${q * 100}`).not.toBeNull();
        const fromHistogram = histogramQuantileMs(histogram, q);
        // Nearest-rank quantile of the raw values, for the bucket it falls in.
        const raw = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? NaN;
        for (const reference of [fromHistogram ?? NaN, raw]) {
          const distance = Math.abs(usageLatencyBucket(actual ?? 0) - usageLatencyBucket(reference));
          expect(distance, `${label} p${q * 100}: api ${actual} vs ${reference} (raw ${JSON.stringify(sorted)})`).toBeLessThanOrEqual(1);
        }
      }
      expect(figures.p95_ms ?? 0, label).toBeGreaterThanOrEqual(figures.p50_ms ?? Infinity);
    };

    const overall = await getUsage(scenario.a.live, { ...scenario.range, granularity: 'day' });
    check(overall.totals, events.map((event) => event.total_ms), 'all');
    const byModel = await getUsage(scenario.a.live, { ...scenario.range, granularity: 'day', group_by: 'model' });
    const modelFigures = new Map<string, UsageFigures>();
    for (const bucket of byModel.buckets) for (const group of bucket.groups) modelFigures.set(group.key, group);
    // A day bucket holds the whole scenario unless it straddled UTC midnight; then only check the totals.
    if (byModel.buckets.filter((bucket) => bucket.totals.jobs > 0).length === 1) {
      for (const model of Object.keys(PRICE)) {
        const figures = modelFigures.get(model);
        expect(figures, model).toBeDefined();
        if (figures) check(figures, events.filter((event) => event.model === model).map((event) => event.total_ms), model);
      }
    }
  });
});

describe('GET /v1/usage validation', () => {
  const expectProblem = (response: ApiResponse, status: number) => {
    expect(response.status, response.text).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  };

  it('from after to -> 422 on from', async ({ scenario }) => {
    const response = await scenario.a.live.request('GET', `/v1/usage?${usageQuery({ from: scenario.range.to, to: scenario.range.from })}`);
    expectProblem(response, 422);
    expect(response.body).toMatchObject({ errors: [{ field: 'from' }] });
  });

  it('hour granularity over 40 days -> 422 naming the limit; day granularity over it is fine', async ({ scenario }) => {
    const to = Date.now();
    const range = { from: new Date(to - 40 * DAY).toISOString(), to: new Date(to).toISOString() };
    const response = await scenario.a.live.request('GET', `/v1/usage?${usageQuery({ ...range, granularity: 'hour' })}`);
    expectProblem(response, 422);
    expect(response.text).toContain(String(31 * 24));
    expect(response.text).toMatch(/hour buckets per query/);
    const days = await getUsage(scenario.a.live, { ...range, granularity: 'day' });
    expect(days.buckets.length).toBeGreaterThanOrEqual(40);
  });

  it('day granularity over more than 400 days -> 422 naming that limit, without advising day granularity it already uses', async ({ scenario }) => {
    const to = Date.now();
    const range = { from: new Date(to - 500 * DAY).toISOString(), to: new Date(to).toISOString() };
    const response = await scenario.a.live.request<{ detail: string }>('GET', `/v1/usage?${usageQuery({ ...range, granularity: 'day' })}`);
    expectProblem(response, 422);
    expect(response.body.detail).toContain('at most 400 day buckets');
    expect(response.body.detail).not.toMatch(/use day granularity/);
  });

  it('an unknown group_by (or granularity) -> 422 naming the parameter', async ({ scenario }) => {
    const groupBy = await scenario.a.live.request('GET', `/v1/usage?${usageQuery({ ...scenario.range, group_by: 'tenant' })}`);
    expectProblem(groupBy, 422);
    expect(groupBy.body).toMatchObject({ errors: [{ field: 'group_by' }] });
    const granularity = await scenario.a.live.request('GET', `/v1/usage?${usageQuery({ ...scenario.range, granularity: 'minute' })}`);
    expectProblem(granularity, 422);
  });

  it('a key without usage:read -> 403', async ({ scenario }) => {
    const response = await scenario.a.noUsageScope.request('GET', `/v1/usage?${usageQuery(scenario.range)}`);
    expectProblem(response, 403);
    expect(response.text).not.toContain(scenario.liveKeyId);
  });
});

describe('usage isolation', () => {
  it("tenant B sees only its own usage, none of tenant A's", async ({ scenario }) => {
    for (const groupBy of ['none', 'key', 'model', 'status', 'mode']) {
      const response = await scenario.b.request<UsageResponse>('GET', `/v1/usage?${usageQuery({ ...scenario.range, granularity: 'hour', group_by: groupBy })}`);
      expect(response.status).toBe(200);
      expect(pick(response.body.totals), groupBy).toEqual({ jobs: 1, credits: PRICE['flux-kontext-dev'] });
      for (const id of [scenario.tenantA, scenario.liveKeyId, scenario.testKeyId, ...scenario.jobIds]) expect(response.text).not.toContain(id);
    }
    const byKey = await getUsage(scenario.b, { ...scenario.range, granularity: 'hour', group_by: 'key' });
    expect(groupTotals(byKey)).toEqual({ [scenario.bKeyId]: { jobs: 1, credits: 2 } });
  });

  it('the operator sees every tenant, or one with tenant_id', async ({ platform, scenario }) => {
    const all = await getUsage(platform.admin, { ...scenario.range, granularity: 'hour', group_by: 'key' }, '/admin/v1/usage');
    expect(pick(all.totals)).toEqual({ jobs: scenario.expected.jobs + 1, credits: scenario.expected.credits + 2 });
    expect(groupTotals(all)).toEqual({ ...scenario.expected.byKey, [scenario.bKeyId]: { jobs: 1, credits: 2 } });

    const onlyA = await getUsage(platform.admin, { ...scenario.range, granularity: 'hour', group_by: 'key', tenant_id: scenario.tenantA }, '/admin/v1/usage');
    expect(pick(onlyA.totals)).toEqual({ jobs: scenario.expected.jobs, credits: scenario.expected.credits });
    expect(groupTotals(onlyA)).toEqual(scenario.expected.byKey);

    const onlyB = await getUsage(platform.admin, { ...scenario.range, granularity: 'hour', tenant_id: scenario.tenantB }, '/admin/v1/usage');
    expect(pick(onlyB.totals)).toEqual({ jobs: 1, credits: 2 });
  });

  it('the operator route refuses an API key, and the tenant route refuses the admin token', async ({ platform, scenario }) => {
    const withKey = await scenario.a.live.request('GET', `/admin/v1/usage?${usageQuery(scenario.range)}`, {
      key: null,
      headers: { authorization: `Bearer ${scenario.a.live.apiKey}` },
    });
    expect([401, 403]).toContain(withKey.status);
    const withAdmin = await platform.admin.request('GET', `/v1/usage?${usageQuery(scenario.range)}`);
    expect(withAdmin.status).toBe(401);
  });
});
