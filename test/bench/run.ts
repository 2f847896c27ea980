import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { loadLocalConfig, startEmbeddedPostgres, startLocalPlatform, type LocalPlatform } from '@kontext/local';
import { silentLogger } from '@kontext/services';
import { Hono } from 'hono';
import postgres from 'postgres';
import sharp from 'sharp';
import { ApiClient } from '../harness/api-client.ts';
import { runLoad, runOpenLoop, type LoadResult } from './load.ts';
import { describeMachine, quantile, reportResults, round, sized } from './report.ts';

// `npm run bench`: the foundation's performance figures on this machine.
//   1. a bare Hono hello-world (the ceiling for this runtime and machine);
//   2. submit latency p50/p99 at a fixed offered rate (300 requests/s), open loop, after a warm-up;
//   3. submit throughput (API only, no workers competing for the CPU) and its ratio to (1);
//   4. dispatch latency: submit committed -> a waiting worker claimed it;
//   5. end-to-end time of a 1-megapixel edit with the preview engine.
// A real embedded Postgres with default (durable) settings; results printed and written to bench-results/.

const SECONDS = Number(process.env.BENCH_SECONDS ?? sized(10, 1));
const RATE = Number(process.env.BENCH_RATE ?? 300);
/** Fixed-rate runs; the machine's disk flush latency varies run to run, so several are reported. */
const RATE_RUNS = Number(process.env.BENCH_RATE_RUNS ?? sized(3, 1));

async function benchHelloWorld(): Promise<LoadResult> {
  const app = new Hono();
  app.get('/', (c) => c.json({ hello: 'world' }));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    return await runLoad({ url: `http://127.0.0.1:${port}/`, connections: 50, durationSeconds: SECONDS });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

async function startPlatform(databaseUrl: string, dataDir: string, workerLoops: number): Promise<LocalPlatform> {
  const config = loadLocalConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PORT: '0', WORKER_LOOPS: String(workerLoops), LOG_LEVEL: 'error' });
  return startLocalPlatform({ config, log: silentLogger });
}

/** A tenant whose credits and limits never get in the way of a load test, made through the operator API. */
async function benchKey(platform: LocalPlatform): Promise<string> {
  const admin = new ApiClient(platform.url, platform.adminToken, 'admin');
  const tenant = await admin.request<{ id: string }>('POST', '/admin/v1/tenants', {
    json: { name: 'Load test', credits: 1_000_000_000, limits: { max_active_jobs: 1_000_000, requests_per_minute_per_key: 1_000_000 } },
  });
  const key = await admin.request<{ key: string }>('POST', `/admin/v1/tenants/${tenant.body.id}/keys`, { json: { name: 'load' } });
  return key.body.key;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-bench-'));
  await chmod(root, 0o711);
  const database = await startEmbeddedPostgres({ directory: join(root, 'pg'), database: 'bench', ephemeral: true });
  const results: Record<string, unknown> = {
    machine: describeMachine(),
    settings: { seconds: SECONDS, offeredRate: RATE },
  };
  try {
    process.stdout.write('1/5 bare Hono hello-world...\n');
    const hello = await benchHelloWorld();

    // Fixed-rate latency first, on a fresh database: the saturating throughput run afterwards leaves
    // the disk busy flushing for a while, which would be measured as the next test's tail.
    const apiOnly = await startPlatform(database.url, join(root, 'api-only'), 0);
    const loadKey = await benchKey(apiOnly);
    const submitLoad = {
      url: `${apiOnly.url}/v1/flux-kontext-dev`,
      method: 'POST' as const,
      headers: { 'x-key': loadKey, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a red bicycle', seed: 1 }),
    };
    process.stdout.write(`2/5 submit latency at ${RATE} requests/s (warm-up, then ${RATE_RUNS} runs)...\n`);
    await runOpenLoop({ ...submitLoad, rate: RATE, durationSeconds: 3 });
    const ratedRuns = [];
    for (let run = 0; run < RATE_RUNS; run++) ratedRuns.push(await runOpenLoop({ ...submitLoad, rate: RATE, durationSeconds: SECONDS }));

    process.stdout.write('3/5 submit throughput (API only)...\n');
    const submitMax = await runLoad({ ...submitLoad, connections: 50, durationSeconds: SECONDS });
    await apiOnly.stop();

    process.stdout.write('4/5 dispatch latency...\n');
    const sql = postgres(database.url, { max: 1 });
    // The load tests left their jobs queued; dropping their messages leaves the workers idle for
    // the dispatch measurement (the jobs themselves stay, unclaimed).
    await sql`TRUNCATE queue_messages, dispatch_outbox`;
    const platform = await startPlatform(database.url, join(root, 'full'), 2);
    const api = new ApiClient(platform.url, await benchKey(platform));
    const dispatchIds: string[] = [];
    for (let i = 0; i < 5; i++) await api.submitAndWait({ prompt: 'warm-up', seed: i });
    for (let i = 0; i < sized(100, 3); i++) {
      // One at a time, so a worker is always idle and waiting: this isolates dispatch from queueing.
      const result = await api.submitAndWait({ prompt: `dispatch ${i}`, seed: i });
      dispatchIds.push(result.id);
    }
    // queued_at is the submit transaction's start, so this slightly overstates commit -> claim.
    const dispatchRows = await sql<{ ms: number }[]>`
      SELECT extract(epoch FROM (started_at - queued_at)) * 1000 AS ms FROM jobs WHERE id = ANY(${dispatchIds})`;
    const dispatch = dispatchRows.map((row) => Number(row.ms));

    process.stdout.write('5/5 end-to-end 1-megapixel edit with the preview engine...\n');
    const input = (await sharp({ create: { width: 1024, height: 1024, channels: 3, background: '#3366aa' } }).jpeg().toBuffer()).toString('base64');
    const endToEnd: number[] = [];
    const submitOnly: number[] = [];
    const engineSeconds: number[] = [];
    for (let i = 0; i < sized(20, 2); i++) {
      const started = performance.now();
      const submitted = await api.submit({ prompt: `edit ${i}`, input_image: input, seed: i });
      submitOnly.push(performance.now() - started);
      const result = await api.waitForResult(submitted.body.id, { timeoutMs: 30_000 });
      const sample = await fetch(result.result!.sample!);
      await sample.arrayBuffer();
      endToEnd.push(performance.now() - started);
      engineSeconds.push(result.result!.duration);
    }
    await platform.stop();
    await sql.end();

    Object.assign(results, {
      helloWorld: { requestsPerSecond: round(hello.requestsPerSecond, 0), p50Ms: hello.latencyMs.p50, p99Ms: hello.latencyMs.p99 },
      submitThroughput: {
        requestsPerSecond: round(submitMax.requestsPerSecond, 0),
        ratioToHelloWorld: round(submitMax.requestsPerSecond / hello.requestsPerSecond, 3),
        p50Ms: submitMax.latencyMs.p50,
        p99Ms: submitMax.latencyMs.p99,
        non2xx: submitMax.non2xx,
      },
      submitAtFixedRate: {
        offeredRate: RATE,
        medianP50Ms: quantile(ratedRuns.map((r) => r.latencyMs.p50), 0.5),
        medianP99Ms: quantile(ratedRuns.map((r) => r.latencyMs.p99), 0.5),
        runs: ratedRuns.map((r) => ({ achievedRate: r.achievedRate, ...r.latencyMs, statuses: r.statuses })),
      },
      dispatchLatency: { jobs: dispatch.length, p50Ms: round(quantile(dispatch, 0.5)), p99Ms: round(quantile(dispatch, 0.99)) },
      endToEnd1MpEdit: {
        runs: endToEnd.length,
        p50Ms: round(quantile(endToEnd, 0.5), 1),
        p99Ms: round(quantile(endToEnd, 0.99), 1),
        submitP50Ms: round(quantile(submitOnly, 0.5), 1),
        engineP50Seconds: round(quantile(engineSeconds, 0.5), 3),
      },
    });
  } finally {
    await database.stop();
    await rm(root, { recursive: true, force: true });
  }
  await reportResults('bench', results);
}

await main();
