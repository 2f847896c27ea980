import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, nodeConnectionInfo, PLATFORM_VERSION, startServer, type ApiApp, type RunningServer } from '@kontext/api';
import { PREVIEW_ENGINE_POOL } from '@kontext/core';
import { connectDatabase, migrateDatabase } from '@kontext/db';
import { WebhookDispatcher } from '@kontext/dispatcher';
import { PREVIEW_ENGINE_ID, PreviewEngine, WorkerAgent } from '@kontext/gpu-worker';
import type { Resolver } from '@kontext/net';
import { PostgresQueue } from '@kontext/queue';
import {
  createLogger,
  createServiceContext,
  errorFields,
  platformSettingsOf,
  runMaintenance,
  type Logger,
  type ServiceContext,
} from '@kontext/services';
import { EnvelopeSealer, KeyFileWrapper } from '@kontext/secrets';
import { BlobUrlSigner, FilesystemBlobStore } from '@kontext/storage';
import type { LocalConfig } from './config.ts';
import { ensureAdminToken, ensureDevCredentials, ensureDevOwner } from './dev-credentials.ts';
import { createMailer } from '@kontext/mailer';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.ts';
import { findFreePort } from './free-port.ts';
import { readOrCreateSecret } from './secret-file.ts';

// The one-machine composition root: embedded (or external) Postgres, files on disk, the Postgres
// queue, the API server, worker loops with the preview engine and the sweeper, in one process.


/** Where the key-encryption keys of webhook secrets live, under DATA_DIR. */
export const SECRET_KEYS_DIRECTORY = 'secret-keys';

export interface LocalPlatformOptions {
  config: LocalConfig;
  log?: Logger;
  /** DNS for URL inputs (tests aim hostnames at chosen addresses). */
  resolve?: Resolver;
}

export interface LocalPlatform {
  /** Where the API listens. */
  url: string;
  publicBaseUrl: string;
  devApiKey: string;
  /** A one-time link that signs the local owner in to the console (fresh at each start). */
  consoleSignInUrl: string;
  adminToken: string;
  databaseUrl: string;
  embeddedDatabase: boolean;
  ctx: ServiceContext;
  /** The app the HTTP server serves (callable in process with `app.request`). */
  app: ApiApp;
  workers: WorkerAgent[];
  stop(): Promise<void>;
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const { config } = options;
  const log = options.log ?? createLogger({ level: config.LOG_LEVEL, base: { service: 'platform' } });
  await mkdir(config.dataDir, { recursive: true });

  // Shutdown steps, run in reverse order of start-up (the HTTP server first, Postgres last).
  const cleanups: { step: string; run: () => Promise<void> }[] = [];
  const onStop = (step: string, run: () => Promise<void>) => cleanups.push({ step, run });
  const stopAll = async () => {
    for (const { step, run } of cleanups.reverse()) {
      const started = performance.now();
      await run().catch((error: unknown) => log.error('shutdown step failed', { step, ...errorFields(error) }));
      log.debug('shutdown step done', { step, ms: Math.round(performance.now() - started) });
    }
    cleanups.length = 0;
  };

  try {
    let embedded: RunningPostgres | undefined;
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({
        directory: join(config.dataDir, 'postgres'),
        database: 'kontext',
        onRestart: (event) =>
          event.kind === 'died'
            ? log.error('embedded Postgres stopped unexpectedly; restarting it', { exit: event.exit, restartInMs: event.restartInMs })
            : log.warn('embedded Postgres is back', { downMs: event.downMs }),
      });
      onStop('embedded postgres', () => embedded!.stop());
      databaseUrl = embedded.url;
    }
    await migrateDatabase(databaseUrl);

    const database = connectDatabase(databaseUrl, { applicationName: 'kontext-local', maxConnections: 10 + config.WORKER_LOOPS * 2 });
    onStop('database pool', () => database.close());
    // The queue gets its own pool with asynchronous commit: a delivery or ack lost in a crash is
    // redone (at-least-once), and it saves a WAL flush on every receive and ack.
    const queueDatabase = connectDatabase(databaseUrl, { applicationName: 'kontext-queue', maxConnections: 4, asynchronousCommit: true });
    onStop('queue pool', () => queueDatabase.close());
    const queue = new PostgresQueue(queueDatabase.sql);
    onStop('queue', () => queue.close());
    const adminToken = config.ADMIN_TOKEN ?? (await ensureAdminToken(config.dataDir));

    const port = config.PORT === 0 ? await findFreePort() : config.PORT;
    const publicBaseUrl = config.PUBLIC_BASE_URL ? config.publicBaseUrl : `http://localhost:${port}`;
    const signer = new BlobUrlSigner(await readOrCreateSecret(join(config.dataDir, 'url-signing-secret')), publicBaseUrl);
    // Mail through SMTP_URL, else into $DATA_DIR/outbox with each link in the log.
    const mailer = createMailer({
      smtpUrl: config.SMTP_URL,
      from: config.MAIL_FROM,
      outboxDirectory: join(config.dataDir, 'outbox'),
      log: (message, fields) => log.info(message, logFieldsOf(fields)),
    });
    onStop('mailer', () => mailer.close());
    const ctx = createServiceContext({
      mailer,
      db: database.db,
      // Rate-limit and last-use writes share the queue's asynchronous-commit pool.
      counters: queueDatabase.db,
      queue,
      storage: new FilesystemBlobStore({ root: join(config.dataDir, 'blobs'), signer }),
      // The base URL and the operator token are this run's: the port it got, the token it keeps.
      settings: { ...platformSettingsOf(config), publicBaseUrl, adminToken },
      ...(config.catalog ? { catalog: config.catalog } : {}),
      log,
      // The Postgres queue lives in this database: jobs and their messages commit together.
      queueInJobDatabase: true,
      ...(options.resolve ? { resolve: options.resolve } : {}),
      // Webhook secrets are sealed under key files kept beside the data (rotation: README).
      secrets: new EnvelopeSealer(await KeyFileWrapper.load(join(config.dataDir, SECRET_KEYS_DIRECTORY))),
    });

    onStop('job events', () => ctx.jobEvents.close());

    const dev = await ensureDevCredentials(ctx, config.dataDir);
    const devOwner = await ensureDevOwner(ctx, config.dataDir, dev.tenantId);

    const engine = new PreviewEngine({ stepDelayMs: config.PREVIEW_STEP_DELAY_MS });
    await engine.start();
    // Every model's pool plus the preview pool that test-mode jobs use; on one machine the preview
    // engine serves them all.
    const pools = [...new Set([...ctx.catalog.map((profile) => profile.enginePool), PREVIEW_ENGINE_POOL])];
    const workers = pools.flatMap((enginePool) =>
      Array.from({ length: config.WORKER_LOOPS }, () => new WorkerAgent({ ctx, engine, enginePool })),
    );
    for (const worker of workers) worker.start();
    onStop('workers', async () => {
      await Promise.all(workers.map((worker) => worker.stop(5_000)));
      await engine.stop();
    });

    const sweeper = startSweeper(ctx, Math.max(500, (config.LEASE_SECONDS * 1000) / 2));
    onStop('sweeper', sweeper.stop);

    if (config.DISPATCHER_CONCURRENCY > 0) {
      const dispatcher = new WebhookDispatcher({ ctx, concurrency: config.DISPATCHER_CONCURRENCY });
      dispatcher.start();
      onStop('dispatcher', () => dispatcher.stop());
    }

    const app = createApp({
      ctx,
      maxBodyBytes: config.MAX_BODY_BYTES,
      ...(config.CORS_ORIGINS ? { corsOrigins: config.CORS_ORIGINS } : {}),
      localBlobs: { signer },
      version: PLATFORM_VERSION,
      connectionInfo: nodeConnectionInfo,
    });
    const server: RunningServer = await startServer(app, { port, hostname: config.HOST });
    onStop('http server', () => server.close());

    log.info('platform ready', {
      url: server.url,
      engine: PREVIEW_ENGINE_ID,
      // What WORKER_LOOPS says: loops per engine pool, and the pools they serve.
      workerLoopsPerPool: config.WORKER_LOOPS,
      enginePools: pools.join(', '),
      embeddedDatabase: embedded !== undefined,
      allowPrivateUrlInputs: config.ALLOW_PRIVATE_URL_INPUTS,
      allowPrivateWebhookTargets: config.ALLOW_PRIVATE_WEBHOOK_TARGETS,
      // Where prompts are upsampled, if anywhere (origin and model only: never the key).
      promptUpsampler: ctx.promptUpsampler?.description ?? 'none',
    });

    return {
      url: server.url,
      publicBaseUrl,
      devApiKey: dev.key,
      consoleSignInUrl: devOwner.signInUrl,
      adminToken,
      databaseUrl,
      embeddedDatabase: embedded !== undefined,
      ctx,
      app,
      workers,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Maintenance on one machine: leases and lost dispatches, retention, expired records. */
function startSweeper(ctx: ServiceContext, intervalMs: number): { stop: () => Promise<void> } {
  let running: Promise<unknown> | undefined;
  const sweep = () => runMaintenance({ ctx, input: {} });
  const timer = setInterval(() => {
    // One sweep at a time: a slow sweep is skipped over, not queued behind.
    running ??= sweep()
      .catch((error: unknown) => ctx.log.error('sweep failed', errorFields(error)))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** The mailer's log fields as the logger takes them: scalars as they are, anything else as text. */
function logFieldsOf(fields: Record<string, unknown>): Record<string, string | number | boolean | null | undefined> {
  return Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [
      name,
      value === null || value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : String(value),
    ]),
  );
}
