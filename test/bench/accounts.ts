import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { loadLocalConfig, startEmbeddedPostgres, startLocalPlatform } from '@kontext/local';
import { authenticateApiKey, checkRateLimit, silentLogger } from '@kontext/services';
import { Hono } from 'hono';
import postgres from 'postgres';
import { ApiClient } from '../harness/api-client.ts';
import { runOpenLoop } from './load.ts';
import { describeMachine, quantile, reportResults, round, sized } from './report.ts';

// `npm run bench` part 2, accounts:
//   1. what key verification costs per request with a warm cache: the same trivial route with no
//      auth, with key verification, and with verification plus the shared rate limit, at a fixed
//      rate over HTTP; and authenticateApiKey alone, in process;
//   2. GET /v1/usage for one tenant over 90 days with BENCH_USAGE_JOBS (default 1,000,000)
//      finished jobs seeded through the real accounting trigger: seeding time, the trigger's write
//      cost per job, and the query's p50/p95 at day granularity.

const USAGE_JOBS = Number(process.env.BENCH_USAGE_JOBS ?? sized(1_000_000, 600));
const SEED_BATCH = 20_000;
/**
 * Jobs finished per UPDATE while seeding. Each finished job updates its tenant's row; many in one
 * transaction pile up row versions that every later update in it walks past, which production (one
 * job per transaction) never does, so seeding finishes jobs in small statements.
 */
const FINISH_BATCH = 250;
const RATE = 500;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-bench-accounts-'));
  await chmod(root, 0o711);
  const database = await startEmbeddedPostgres({ directory: join(root, 'pg'), database: 'bench', ephemeral: true });
  const platform = await startLocalPlatform({
    config: loadLocalConfig({ DATABASE_URL: database.url, DATA_DIR: join(root, 'data'), PORT: '0', WORKER_LOOPS: '0', LOG_LEVEL: 'error' }),
    log: silentLogger,
  });
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const results: Record<string, unknown> = {
    machine: describeMachine(),
  };
  try {
    const admin = new ApiClient(platform.url, platform.adminToken, 'admin');
    const tenant = (await admin.request<{ id: string }>('POST', '/admin/v1/tenants', {
      json: { name: 'Bench', credits: 1_000_000_000, limits: { requests_per_minute_per_key: 1_000_000 } },
    })).body;
    const key = (await admin.request<{ id: string; key: string }>('POST', `/admin/v1/tenants/${tenant.id}/keys`, {
      json: { name: 'bench', scopes: ['jobs:read', 'usage:read', 'credits:read'] },
    })).body;

    process.stdout.write('1/2 key verification cost...\n');
    const ctx = platform.ctx;
    const app = new Hono();
    app.get('/plain', (c) => c.json({ ok: true }));
    app.get('/verified', async (c) => {
      await authenticateApiKey({ ctx, input: { key: c.req.header('x-key') } });
      return c.json({ ok: true });
    });
    app.get('/verified-and-limited', async (c) => {
      const auth = await authenticateApiKey({ ctx, input: { key: c.req.header('x-key') } });
      await checkRateLimit({ ctx, input: { auth } });
      return c.json({ ok: true });
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    const http: Record<string, unknown> = {};
    for (const path of ['/plain', '/verified', '/verified-and-limited', '/plain']) {
      const run = await runOpenLoop({ url: `http://127.0.0.1:${port}${path}`, headers: { 'x-key': key.key }, rate: RATE, durationSeconds: sized(5, 1) });
      // The first /plain run warms up; the second is the one reported.
      http[path] = { p50Ms: run.latencyMs.p50, p99Ms: run.latencyMs.p99, statuses: run.statuses };
    }
    await new Promise((resolve) => server.close(resolve));
    await authenticateApiKey({ ctx, input: { key: key.key } });
    const inProcess: number[] = [];
    for (let i = 0; i < sized(100_000, 100); i++) {
      const started = performance.now();
      await authenticateApiKey({ ctx, input: { key: key.key } });
      inProcess.push(performance.now() - started);
    }
    results.keyVerification = {
      offeredRate: RATE,
      http,
      addedP50Ms: {
        verification: round((http['/verified'] as { p50Ms: number }).p50Ms - (http['/plain'] as { p50Ms: number }).p50Ms, 3),
        verificationAndRateLimit: round((http['/verified-and-limited'] as { p50Ms: number }).p50Ms - (http['/plain'] as { p50Ms: number }).p50Ms, 3),
      },
      inProcessWarmCache: { calls: inProcess.length, p50Us: round(quantile(inProcess, 0.5) * 1000, 1), p99Us: round(quantile(inProcess, 0.99) * 1000, 1) },
    };

    process.stdout.write(`2/2 seeding ${USAGE_JOBS} finished jobs over 90 days through the accounting trigger...\n`);
    const seedStarted = performance.now();
    let triggerMs = 0;
    let plainMs = 0;
    let comparedJobs = 0;
    for (let first = 0; first < USAGE_JOBS; first += SEED_BATCH) {
      const last = Math.min(USAGE_JOBS, first + SEED_BATCH) - 1;
      const count = last - first + 1;
      // Admit the batch as the submit path would (reserve and take slots), then insert it running.
      await sql`UPDATE tenants SET credits_available = credits_available - ${count * 2}, credits_reserved = credits_reserved + ${count * 2},
                active_jobs = active_jobs + ${count} WHERE id = ${tenant.id}`;
      await sql`
        INSERT INTO jobs (id, tenant_id, api_key_id, mode, request_id, model, engine_pool, status, prompt, seed, width, height,
          output_format, steps, guidance, safety_tolerance, cost_credits, input_mp, output_mp, max_attempts, attempts,
          created_at, queued_at, started_at, engine, root_job_id)
        SELECT 'job_seed_' || lpad(g::text, 9, '0'), ${tenant.id}, ${key.id}, 'live', 'req_seed',
               (ARRAY['flux-kontext-dev', 'flux-kontext-pro', 'flux-kontext-max'])[1 + g % 3], 'kontext-dev', 'running',
               'seeded', g, 1024, 1024, 'png', 28, 2.5, 2, 2, 1.0486, 1.0486, 3, 1, t, t, t + interval '800 ms', 'preview-cpu/1',
               'job_seed_' || lpad(g::text, 9, '0')
        FROM generate_series(${first}::int, ${last}::int) AS g,
             LATERAL (SELECT now() - interval '90 days' + (g::float8 / ${USAGE_JOBS}) * interval '90 days' AS t) ts`;
      // Finish it, a few jobs per statement, so the trigger runs once per job as when workers finish them.
      // On the first chunk, time the same UPDATE with and without the trigger to isolate its cost.
      const seedId = (n: number) => `job_seed_${String(n).padStart(9, '0')}`;
      for (let chunk = first; chunk <= last; chunk += FINISH_BATCH) {
        const chunkLast = Math.min(last, chunk + FINISH_BATCH - 1);
        if (chunk === 0) {
          await sql`ALTER TABLE jobs DISABLE TRIGGER jobs_finalize_accounting`;
          let started = performance.now();
          await sql`UPDATE jobs SET status = 'succeeded', finished_at = started_at + interval '2 s'
                    WHERE id BETWEEN ${seedId(chunk)} AND ${seedId(chunkLast)}`;
          plainMs = performance.now() - started;
          // Back to running for the timed run with the trigger (the transition is what fires it).
          await sql`UPDATE jobs SET status = 'running', finished_at = NULL WHERE id BETWEEN ${seedId(chunk)} AND ${seedId(chunkLast)}`;
          await sql`ALTER TABLE jobs ENABLE TRIGGER jobs_finalize_accounting`;
          started = performance.now();
          await sql`UPDATE jobs SET status = 'succeeded', finished_at = started_at + interval '2 s'
                    WHERE id BETWEEN ${seedId(chunk)} AND ${seedId(chunkLast)}`;
          triggerMs = performance.now() - started;
          comparedJobs = chunkLast - chunk + 1;
          continue;
        }
        await sql`
          UPDATE jobs SET status = CASE WHEN seed % 20 = 0 THEN 'failed'::job_status ELSE 'succeeded'::job_status END,
                          finished_at = started_at + (interval '1 ms' * (1500 + (seed * 7919) % 9000))
          WHERE id BETWEEN ${seedId(chunk)} AND ${seedId(chunkLast)}`;
      }
      if ((first / SEED_BATCH) % 10 === 0) process.stdout.write(`  ${last + 1} jobs seeded\n`);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    await sql`VACUUM ANALYZE usage_rollups`;
    const [rollupRows] = await sql<{ day: number; hour: number; events: number }[]>`
      SELECT (SELECT count(*)::int FROM usage_rollups WHERE granularity = 'day') AS day,
             (SELECT count(*)::int FROM usage_rollups WHERE granularity = 'hour') AS hour,
             (SELECT count(*)::int FROM usage_events) AS events`;

    const client = new ApiClient(platform.url, key.key);
    const to = new Date().toISOString();
    const from = new Date(Date.now() - 90 * 24 * 3600 * 1000).toISOString();
    const timings: Record<string, { p50Ms: number; p95Ms: number; jobsInResult: number }> = {};
    for (const groupBy of ['none', 'model', 'status']) {
      const path = `/v1/usage?granularity=day&group_by=${groupBy}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
      for (let i = 0; i < 5; i++) await client.request('GET', path);
      const samples: number[] = [];
      let jobsInResult = 0;
      for (let i = 0; i < sized(100, 3); i++) {
        const started = performance.now();
        const response = await client.request<{ totals: { jobs: number } }>('GET', path);
        samples.push(performance.now() - started);
        jobsInResult = response.body.totals.jobs;
      }
      timings[groupBy] = { p50Ms: round(quantile(samples, 0.5), 2), p95Ms: round(quantile(samples, 0.95), 2), jobsInResult };
    }
    results.usageQuery = {
      seededJobs: USAGE_JOBS,
      seedingSeconds: round(seedSeconds, 1),
      rollupRows,
      accountingTriggerCostPerJobMs: round((triggerMs - plainMs) / comparedJobs, 4),
      finishUpdatePerJobMs: { withTrigger: round(triggerMs / comparedJobs, 4), withoutTrigger: round(plainMs / comparedJobs, 4) },
      dayGranularity90Days: timings,
    };
  } finally {
    await sql.end();
    await platform.stop();
    await database.stop();
    await rm(root, { recursive: true, force: true });
  }
  await reportResults('accounts', results);
}

await main();
