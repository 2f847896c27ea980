import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalConfig, startEmbeddedPostgres, startLocalPlatform } from '@kontext/local';
import { silentLogger } from '@kontext/services';
import postgres from 'postgres';
import { ApiClient } from '../harness/api-client.ts';
import { WebhookReceiver } from '../harness/receiver.ts';
import { describeMachine, quantile, reportResults, round, sized } from './report.ts';

// `npm run bench` part 3, lineage and delivery:
//   1. webhook latency: a job's terminal transition committed -> the receiver has the delivery
//      (loopback receiver, the platform's dispatcher), 100 jobs;
//   2. dispatcher throughput: BENCH_DELIVERIES (default 3000) due deliveries drained to a loopback receiver;
//   3. GET /v1/jobs/{root}/lineage for a 200-job tree built through the API (random branching).

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? sized(3000, 20));
const TREE_SIZE = sized(200, 5);
const LATENCY_JOBS = sized(100, 3);

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-bench-delivery-'));
  await chmod(root, 0o711);
  const database = await startEmbeddedPostgres({ directory: join(root, 'pg'), database: 'bench', ephemeral: true });
  const platform = await startLocalPlatform({
    config: loadLocalConfig({
      DATABASE_URL: database.url,
      DATA_DIR: join(root, 'data'),
      PORT: '0',
      WORKER_LOOPS: '2',
      LOG_LEVEL: 'error',
      ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
    }),
    log: silentLogger,
  });
  const receiver = await new WebhookReceiver().start();
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const results: Record<string, unknown> = {
    machine: describeMachine(),
  };
  try {
    const admin = new ApiClient(platform.url, platform.adminToken, 'admin');
    const tenant = (await admin.request<{ id: string }>('POST', '/admin/v1/tenants', {
      json: { name: 'Bench', credits: 1_000_000_000, limits: { max_active_jobs: 100_000, requests_per_minute_per_key: 1_000_000 } },
    })).body;
    const key = (await admin.request<{ key: string }>('POST', `/admin/v1/tenants/${tenant.id}/keys`, { json: { name: 'bench' } })).body.key;
    const api = new ApiClient(platform.url, key);

    process.stdout.write('1/3 webhook latency...\n');
    const endpoint = (await api.request<{ id: string }>('POST', '/v1/webhooks/endpoints', {
      json: { url: receiver.url('/latency'), events: ['job.succeeded'] },
    })).body;
    const latencyJobs: string[] = [];
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const result = await api.submitAndWait({ prompt: `latency ${i}`, steps: 2, aspect_ratio: '1:1' });
      latencyJobs.push(result.id);
    }
    await receiver.waitFor('/latency', LATENCY_JOBS, 30_000);
    const finished = new Map(
      (await sql<{ id: string; finished: Date }[]>`SELECT id, finished_at AS finished FROM jobs WHERE id = ANY(${latencyJobs})`).map((row) => [
        row.id,
        row.finished.getTime(),
      ]),
    );
    const latencies = receiver.on('/latency').map((webhook) => {
      const jobId = (JSON.parse(webhook.body) as { id: string }).id;
      return webhook.receivedAt - (finished.get(jobId) ?? Number.NaN);
    });
    results.webhookLatency = { deliveries: latencies.length, p50Ms: round(quantile(latencies, 0.5)), p99Ms: round(quantile(latencies, 0.99)) };
    await api.request('DELETE', `/v1/webhooks/endpoints/${endpoint.id}`);

    process.stdout.write(`2/3 dispatcher throughput (${DELIVERIES} deliveries)...\n`);
    // Due deliveries written straight into the outbox (as a burst of job transitions would),
    // all for one finished job, to a receiver that answers at once.
    const jobId = latencyJobs[0]!;
    const started = performance.now();
    await sql`
      WITH written AS (
        INSERT INTO webhook_deliveries (id, tenant_id, job_id, endpoint_id, url, event_type, snapshot)
        SELECT new_prefixed_id('msg'), ${tenant.id}, ${jobId}, NULL, ${receiver.url('/throughput')}, 'job.succeeded',
               jsonb_build_object('status', 'succeeded', 'progress', 1, 'error', NULL, 'engine', 'preview-cpu/1')
        FROM generate_series(1, ${DELIVERIES}) RETURNING 1
      )
      SELECT pg_notify('kontext_webhooks', '') FROM (SELECT count(*) FROM written) c`;
    await receiver.waitFor('/throughput', DELIVERIES, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const [undelivered] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'succeeded' AND url = ${receiver.url('/throughput')}`;
    results.dispatcherThroughput = {
      deliveries: DELIVERIES,
      seconds: round(seconds),
      deliveriesPerSecond: round(DELIVERIES / seconds, 0),
      // Every request has reached the receiver; a few rows may still be committing their success.
      rowsNotYetMarkedDelivered: undelivered?.n ?? 0,
    };

    process.stdout.write(`3/3 lineage query over a ${TREE_SIZE}-job tree...\n`);
    const rootJob = await api.submitAndWait({ prompt: 'tree root', steps: 1 });
    const nodes = [rootJob.id];
    // Random branching: each edit continues a random earlier node (seeded, so runs compare).
    let state = 12345;
    const next = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    while (nodes.length < TREE_SIZE) {
      const parent = nodes[Math.floor(next() * nodes.length)]!;
      const edit = await api.request<{ id: string }>('POST', `/v1/jobs/${parent}/edits`, { json: { prompt: `edit ${nodes.length}`, steps: 1 } });
      await api.waitForResult(edit.body.id);
      nodes.push(edit.body.id);
    }
    const samples: number[] = [];
    let treeSize = 0;
    for (let i = 0; i < sized(105, 7); i++) {
      const t = performance.now();
      const lineage = await api.request<{ tree: { children: unknown[] } }>('GET', `/v1/jobs/${rootJob.id}/lineage`);
      if (i >= 5) samples.push(performance.now() - t);
      treeSize = JSON.stringify(lineage.body).match(/"id":"job_/g)?.length ?? 0;
    }
    results.lineageQuery = { treeJobs: treeSize, requests: samples.length, p50Ms: round(quantile(samples, 0.5)), p95Ms: round(quantile(samples, 0.95)) };
  } finally {
    await sql.end();
    await receiver.stop();
    await platform.stop();
    await database.stop();
    await rm(root, { recursive: true, force: true });
  }
  await reportResults('delivery', results);
}

await main();
