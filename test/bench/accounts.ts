import { serve } from '@hono/node-server';
import { authenticateApiKey, checkRateLimit } from '@kontext/services';
import { Hono } from 'hono';
import { ApiClient } from '../harness/api-client.ts';
import { runOpenLoop } from './load.ts';
import { describeMachine, quantile, reportResults, round, sized } from './report.ts';
import { seedFinishedJobs } from './seed-jobs.ts';
import { startBenchPlatform } from './bench-platform.ts';

// `npm run bench` part 2, accounts:
//   1. what key verification costs per request with a warm cache: the same trivial route with no
//      auth, with key verification, and with verification plus the shared rate limit, at a fixed
//      rate over HTTP; and authenticateApiKey alone, in process;
//   2. GET /v1/usage for one tenant over 90 days with BENCH_USAGE_JOBS (default 1,000,000)
//      finished jobs seeded through the real accounting trigger: seeding time, the trigger's write
//      cost per job, and the query's p50/p95 at day granularity.

const USAGE_JOBS = Number(process.env.BENCH_USAGE_JOBS ?? sized(1_000_000, 600));
const RATE = 500;

async function main(): Promise<void> {
  const bench = await startBenchPlatform('accounts', ['jobs:read', 'usage:read', 'credits:read']);
  const { platform, sql, tenant, key } = bench;
  const results: Record<string, unknown> = {
    machine: describeMachine(),
  };
  try {

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
    await seedFinishedJobs(sql, {
      tenantId: tenant.id,
      apiKeyId: key.id,
      jobs: USAGE_JOBS,
      days: 90,
      progress: (seeded) => process.stdout.write(`  ${seeded} jobs seeded\n`),
      compareTrigger: (timings) => {
        triggerMs = timings.withTriggerMs;
        plainMs = timings.withoutTriggerMs;
        comparedJobs = timings.jobs;
      },
    });
    const seedSeconds = (performance.now() - seedStarted) / 1000;
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
    await bench.stop();
  }
  await reportResults('accounts', results);
}

await main();
