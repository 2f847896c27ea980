import { connectDatabase } from '@kontext/db';
import { PostgresQueue } from '@kontext/queue';
import { createLogger, createServiceContext, environmentOrExit, LogLevelSchema, stopOnSignals } from '@kontext/services';
import { EnvelopeSealer, KeyFileWrapper } from '@kontext/secrets';
import { BlobUrlSigner, FilesystemBlobStore } from '@kontext/storage';
import { z } from 'zod';
import { createApp } from './app.ts';
import { nodeConnectionInfo, startServer } from './server.ts';
import { PLATFORM_VERSION } from './version.ts';

// A standalone API server process over an existing database (the one-machine runner embeds the
// same app; several of these can share one database behind a load balancer). Configuration from
// the environment, validated at start; SIGTERM/SIGINT stop it after in-flight requests.

const ConfigSchema = z.object({
  DATABASE_URL: z.url(),
  STORAGE_DIR: z.string().min(1),
  URL_SIGNING_SECRET: z.string().min(32),
  /** The key files webhook secrets are sealed under (the same directory for every API and dispatcher process). */
  SECRET_KEYS_DIR: z.string().min(1),
  PUBLIC_BASE_URL: z.url(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default('127.0.0.1'),
  ADMIN_TOKEN: z.string().min(24).optional(),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(30 * 1024 * 1024),
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  LOG_LEVEL: LogLevelSchema,
});

const config = environmentOrExit(ConfigSchema, process.env);
const log = createLogger({ level: config.LOG_LEVEL, base: { service: 'api' } });
const database = connectDatabase(config.DATABASE_URL, { applicationName: 'kontext-api' });
const counters = connectDatabase(config.DATABASE_URL, { applicationName: 'kontext-api-counters', maxConnections: 4, asynchronousCommit: true });
const queue = new PostgresQueue(counters.sql);
const signer = new BlobUrlSigner(config.URL_SIGNING_SECRET, config.PUBLIC_BASE_URL);
const ctx = createServiceContext({
  db: database.db,
  counters: counters.db,
  queue,
  storage: new FilesystemBlobStore({ root: config.STORAGE_DIR, signer }),
  settings: {
    publicBaseUrl: config.PUBLIC_BASE_URL,
    apiKeyCacheTtlMs: config.API_KEY_CACHE_TTL_MS,
    ...(config.ADMIN_TOKEN ? { adminToken: config.ADMIN_TOKEN } : {}),
  },
  jobDispatch: 'same-transaction',
  secrets: new EnvelopeSealer(await KeyFileWrapper.load(config.SECRET_KEYS_DIR)),
  log,
});
const app = createApp({
  ctx,
  maxBodyBytes: config.MAX_BODY_BYTES,
  localBlobs: { signer },
  version: PLATFORM_VERSION,
  connectionInfo: nodeConnectionInfo,
});
const server = await startServer(app, { port: config.PORT, hostname: config.HOST });
log.info('api ready', { url: server.url, adminApi: config.ADMIN_TOKEN !== undefined });

stopOnSignals(log, 'api', async () => {
  await server.close();
  await ctx.jobEvents.close();
  await queue.close();
  await Promise.all([database.close(), counters.close()]);
});
