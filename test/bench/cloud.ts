import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openCloudRuntime, CloudEnvironmentSchema } from '@kontext/cloud';
import { migrateDatabase } from '@kontext/db';
import { PreviewEngine, WorkerAgent } from '@kontext/gpu-worker';
import { startEmbeddedPostgres } from '@kontext/local';
import postgres from 'postgres';
import { buildLambdaBundles, LAMBDA_BUNDLES } from '../../infra/src/lambda-bundles.ts';
import { ApiClient } from '../harness/api-client.ts';
import { startMotoServer, startS3Server } from '../harness/aws-servers.ts';
import { createCloudFixture } from '../harness/cloud.ts';
import { serveLambdaOverHttp, type HttpApiHandler } from '../harness/lambda-bridge.ts';
import { describeMachine, quantile, reportResults, round, sized } from './report.ts';

// `npm run bench` part 4, the cloud composition, on the protocol servers the tests use:
//   1. dispatch latency through SQS (moto) with long polling: submit committed (through the API
//      Lambda handler and the outbox) -> a long-polling worker claimed the job; 100 jobs, one at a time;
//   2. Lambda cold-start proxies: each function's bundle size (index.mjs, minified, tree-shaken),
//      and the time to import and initialise its handler module in a fresh Node process
//      (configuration, secrets from Secrets Manager, clients), median of 5.

const IMPORT_RUNS = sized(5, 1);

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-bench-cloud-'));
  await chmod(root, 0o711);
  const server = await startEmbeddedPostgres({ directory: join(root, 'pg'), database: 'bench', ephemeral: true });
  const [moto, s3] = await Promise.all([startMotoServer(), startS3Server()]);
  await migrateDatabase(server.url);
  const fixture = await createCloudFixture({
    motoEndpoint: moto.endpoint,
    s3Endpoint: s3.endpoint,
    database: { url: server.url, name: 'bench', drop: async () => {} },
  });
  const env = { ...fixture.env, PUBLIC_BASE_URL: 'https://api.kontext.test', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const results: Record<string, unknown> = { machine: describeMachine(), servers: 'moto (SQS, Secrets Manager), s3rver (S3), embedded PostgreSQL 17' };
  try {
    process.stdout.write('1/2 dispatch latency through SQS...\n');
    Object.assign(process.env, env);
    const apiLambda = (await import('@kontext/api/lambda')) as { handler: HttpApiHandler };
    const bridge = await serveLambdaOverHttp(apiLambda.handler);
    const runtime = await openCloudRuntime(CloudEnvironmentSchema.parse(env), { service: 'worker' });
    const engine = new PreviewEngine();
    await engine.start();
    // Long polling as deployed: each receive waits up to 20 s for a message.
    const agent = new WorkerAgent({ ctx: runtime.ctx, engine, enginePool: 'kontext-dev', receiveWaitSeconds: 20 });
    agent.start();
    const sql = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      const admin = new ApiClient(bridge.url, fixture.adminToken, 'admin');
      const tenant = (await admin.request<{ id: string }>('POST', '/admin/v1/tenants', { json: { name: 'Bench', credits: 1_000_000 } })).body;
      const key = (await admin.request<{ key: string }>('POST', `/admin/v1/tenants/${tenant.id}/keys`, { json: { name: 'bench' } })).body.key;
      const api = new ApiClient(bridge.url, key);
      for (let i = 0; i < 5; i++) await api.submitAndWait({ prompt: 'warm-up', seed: i, steps: 2 });
      const ids: string[] = [];
      for (let i = 0; i < sized(100, 3); i++) ids.push((await api.submitAndWait({ prompt: `dispatch ${i}`, seed: i, steps: 2 })).id);
      // queued_at is the submit transaction's start; the outbox send to SQS follows the commit.
      const rows = await sql<{ ms: number }[]>`SELECT extract(epoch FROM (started_at - queued_at)) * 1000 AS ms FROM jobs WHERE id = ANY(${ids})`;
      const dispatch = rows.map((row) => Number(row.ms));
      results.sqsDispatchLatency = { jobs: dispatch.length, receiveWaitSeconds: 20, p50Ms: round(quantile(dispatch, 0.5)), p99Ms: round(quantile(dispatch, 0.99)) };
    } finally {
      await agent.stop(5000);
      await engine.stop();
      await runtime.close();
      await bridge.close();
      await sql.end();
    }

    process.stdout.write('2/2 Lambda bundles and handler initialisation...\n');
    const bundles = await buildLambdaBundles({ outDir: join(root, 'lambda') });
    const lambdas: Record<string, unknown> = {};
    for (const bundle of bundles) {
      const initMs: number[] = [];
      for (let i = 0; i < IMPORT_RUNS; i++) initMs.push(await importTime(join(bundle.directory, 'index.mjs'), env));
      lambdas[bundle.name] = {
        entry: LAMBDA_BUNDLES[bundle.name as keyof typeof LAMBDA_BUNDLES]?.entry,
        bundleKiB: round(bundle.bytes / 1024, 1),
        importAndInitMedianMs: round(quantile(initMs, 0.5), 1),
        runsMs: initMs.map((ms) => round(ms, 1)),
      };
    }
    results.lambdas = lambdas;
  } finally {
    await fixture.close();
    await Promise.all([moto.stop(), s3.stop()]);
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
  await reportResults('cloud', results);
  // The API handler's module (imported above for part 1) keeps its clients for the process's life, as in Lambda.
  process.exit(0);
}

/** Milliseconds to import a handler module, top-level initialisation included, in a fresh process. */
function importTime(file: string, env: Record<string, string>): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t)); process.exit(0);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`importing ${file} failed (${code}): ${err}`))));
  });
}

await main();
