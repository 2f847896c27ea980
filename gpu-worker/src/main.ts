import { openCloudRuntime, s3Client } from '@kontext/cloud';
import { connectDatabase } from '@kontext/db';
import { PostgresQueue } from '@kontext/queue';
import { createLogger, createServiceContext, environmentOrExit, errorFields, platformSettingsOf, stopOnSignals, type ServiceContext } from '@kontext/services';
import { settingsSchema, WORKER_AWS_SETTINGS, WORKER_BACKEND_SETTINGS, WORKER_SETTINGS, type SettingsOfProcess } from '@kontext/settings';
import { FilesystemBlobStore } from '@kontext/storage';
import { WorkerAgent } from './agent.ts';
import { startHealthServer, workerHealth } from './health-server.ts';
import { syncModelWeights } from './model-weights.ts';
import type { Engine } from './engine.ts';
import { KontextEngine } from './kontext-engine.ts';
import { PreviewEngine } from './preview-engine.ts';

// The worker process: a thin composition root. Reads its configuration (BACKEND picks the
// adapters: `local`, Postgres queue and files on disk, one machine or a test, WORKER_SETTINGS; or
// `aws`, SQS, S3 and Aurora through RDS Proxy, WORKER_AWS_SETTINGS), wires the services to them,
// fetches model weights if asked, starts the engine and the agent loops, and shuts down cleanly on
// SIGTERM/SIGINT: the job in hand finishes within DRAIN_SECONDS or is handed back to the queue
// for another worker. Nothing below this file reads the environment.

const what = 'worker configuration';
const backend = environmentOrExit(settingsSchema(WORKER_BACKEND_SETTINGS), process.env, what).BACKEND;

/** The worker's configuration, read by either backend's composition. */
type WorkerConfig = SettingsOfProcess<typeof WORKER_SETTINGS> | SettingsOfProcess<typeof WORKER_AWS_SETTINGS>;

let config: WorkerConfig;
let ctx: ServiceContext;
let closeAdapters: () => Promise<void>;
if (backend === 'aws') {
  const aws = environmentOrExit(settingsSchema(WORKER_AWS_SETTINGS), process.env, what);
  const runtime = await openCloudRuntime(aws, { service: 'worker', settings: platformSettingsOf(aws) });
  config = aws;
  ctx = runtime.ctx;
  closeAdapters = runtime.close;
  if (aws.MODEL_WEIGHTS_S3_URI) {
    const s3 = s3Client(aws);
    const synced = await syncModelWeights({ client: s3, uri: aws.MODEL_WEIGHTS_S3_URI, directory: aws.MODEL_DIR });
    s3.destroy();
    runtime.log.info('model weights ready', { directory: aws.MODEL_DIR, ...synced });
  }
} else {
  const local = environmentOrExit(settingsSchema(WORKER_SETTINGS), process.env, what);
  const database = connectDatabase(local.DATABASE_URL, { applicationName: 'kontext-worker', maxConnections: 2 + local.WORKER_LOOPS * 2 });
  const queue = new PostgresQueue(database.sql);
  config = local;
  ctx = createServiceContext({
    db: database.db,
    queue,
    // Signed URLs are the API's business; the worker only reads and writes blobs.
    storage: new FilesystemBlobStore({ root: local.STORAGE_DIR }),
    settings: platformSettingsOf(local),
    // The Postgres queue on the job database: webhook deliveries stay in the outbox the dispatcher reads.
    queueInJobDatabase: true,
    log: createLogger({ level: local.LOG_LEVEL, base: { service: 'worker' } }),
  });
  closeAdapters = async () => {
    await queue.close();
    await database.close();
  };
}
const log = ctx.log;

// The engine process inherits this environment, KONTEXT_* options (device, compile, FP8) included.
const engine: Engine =
  config.ENGINE === 'kontext'
    ? new KontextEngine({
        python: config.KONTEXT_PYTHON,
        modelDir: config.KONTEXT_MODEL_DIR ?? config.MODEL_DIR,
        log: log.child({ component: 'engine' }),
        loadTimeoutMs: config.ENGINE_LOAD_TIMEOUT_SECONDS * 1000,
      })
    : new PreviewEngine({ stepDelayMs: config.PREVIEW_STEP_DELAY_MS });
const agents = Array.from({ length: config.WORKER_LOOPS }, () => new WorkerAgent({ ctx, engine, enginePool: config.ENGINE_POOL }));
let shutdown: { readonly stopping: boolean } | undefined;
const healthServer = config.HEALTH_PORT
  ? await startHealthServer(config.HEALTH_PORT, () => workerHealth(engine, agents, shutdown?.stopping ?? false))
  : undefined;
try {
  await engine.start();
} catch (error) {
  // A model that cannot load will not load on a retry in this task: the orchestrator replaces it.
  log.error('engine failed to start', errorFields(error));
  await closeAdapters();
  healthServer?.close();
  process.exit(1);
}
for (const agent of agents) agent.start();
log.info('worker ready', {
  backend,
  engine: engine.id,
  pool: config.ENGINE_POOL,
  loops: agents.length,
  workerIds: agents.map((a) => a.workerId).join(','),
  // Origin and model only: the key never reaches a log.
  promptUpsampler: ctx.promptUpsampler?.description ?? 'none',
});

shutdown = stopOnSignals(log, 'worker', async () => {
  await Promise.all(agents.map((agent) => agent.stop(config.DRAIN_SECONDS * 1000)));
  await engine.stop();
  await closeAdapters();
  healthServer?.close();
});
