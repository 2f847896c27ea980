import { checkEnvironment } from '@kontext/core';
import { connectDatabase } from '@kontext/db';
import { PostgresQueue } from '@kontext/queue';
import { createLogger, createServiceContext, errorFields } from '@kontext/services';
import { BlobUrlSigner, FilesystemBlobStore } from '@kontext/storage';
import { WorkerAgent } from './agent.ts';
import { WorkerConfigSchema } from './config.ts';
import { PreviewEngine } from './preview-engine.ts';

// The worker process: a thin composition root. Reads its configuration, wires the services to
// the adapters, starts the engine and the agent loops, and shuts down cleanly on SIGTERM/SIGINT
// (the job in hand finishes within DRAIN_SECONDS or is handed back).

const checked = checkEnvironment(WorkerConfigSchema, process.env, 'worker configuration');
if (!checked.ok) {
  process.stderr.write(`${checked.message}\n`);
  process.exit(1);
}
const config = checked.config;
const log = createLogger({ level: config.LOG_LEVEL, base: { service: 'worker' } });
const database = connectDatabase(config.DATABASE_URL, { applicationName: 'kontext-worker', maxConnections: 2 + config.WORKER_LOOPS * 2 });
const queue = new PostgresQueue(database.sql);
const ctx = createServiceContext({
  db: database.db,
  queue,
  storage: new FilesystemBlobStore({
    root: config.STORAGE_DIR,
    signer: new BlobUrlSigner(config.URL_SIGNING_SECRET, config.PUBLIC_BASE_URL),
  }),
  settings: { publicBaseUrl: config.PUBLIC_BASE_URL, leaseSeconds: config.LEASE_SECONDS, maxAttempts: config.MAX_ATTEMPTS },
  log,
});

const engine = new PreviewEngine({ stepDelayMs: config.PREVIEW_STEP_DELAY_MS });
await engine.start();
const agents = Array.from({ length: config.WORKER_LOOPS }, () => new WorkerAgent({ ctx, engine, enginePool: config.ENGINE_POOL }));
for (const agent of agents) agent.start();
log.info('worker ready', { engine: engine.id, loops: agents.length, workerIds: agents.map((a) => a.workerId).join(',') });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('worker stopping', { signal });
  try {
    await Promise.all(agents.map((agent) => agent.stop(config.DRAIN_SECONDS * 1000)));
    await engine.stop();
    await queue.close();
    await database.close();
  } catch (error) {
    log.error('unclean worker shutdown', errorFields(error));
    process.exitCode = 1;
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
