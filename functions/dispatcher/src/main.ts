import { EnvFlagSchema, WebhookRetryScheduleSchema } from '@kontext/core';
import { connectDatabase } from '@kontext/db';
import { PostgresQueue } from '@kontext/queue';
import { createLogger, createServiceContext, environmentOrExit, LogLevelSchema, stopOnSignals } from '@kontext/services';
import { EnvelopeSealer, KeyFileWrapper } from '@kontext/secrets';
import { BlobUrlSigner, FilesystemBlobStore } from '@kontext/storage';
import { z } from 'zod';
import { WebhookDispatcher } from './dispatcher.ts';

// The standalone webhook dispatcher process: configuration from the environment, validated at
// start; SIGTERM/SIGINT stop claiming and let deliveries in flight finish.

const ConfigSchema = z.object({
  DATABASE_URL: z.url(),
  STORAGE_DIR: z.string().min(1),
  URL_SIGNING_SECRET: z.string().min(32),
  /** The key files webhook secrets are sealed under (the API's SECRET_KEYS_DIR). */
  SECRET_KEYS_DIR: z.string().min(1),
  PUBLIC_BASE_URL: z.url(),
  ALLOW_PRIVATE_WEBHOOK_TARGETS: EnvFlagSchema.default(false),
  /** Comma-separated retry delays in seconds; default the Standard Webhooks schedule. */
  WEBHOOK_RETRY_SCHEDULE: WebhookRetryScheduleSchema.optional(),
  WEBHOOK_CLAIM_SECONDS: z.coerce.number().positive().max(3600).default(60),
  DISPATCHER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  LOG_LEVEL: LogLevelSchema,
});

const config = environmentOrExit(ConfigSchema, process.env);
const log = createLogger({ level: config.LOG_LEVEL, base: { service: 'dispatcher' } });
const database = connectDatabase(config.DATABASE_URL, { applicationName: 'kontext-dispatcher', maxConnections: 4 + Math.ceil(config.DISPATCHER_CONCURRENCY / 4) });
const ctx = createServiceContext({
  db: database.db,
  queue: new PostgresQueue(database.sql),
  storage: new FilesystemBlobStore({ root: config.STORAGE_DIR, signer: new BlobUrlSigner(config.URL_SIGNING_SECRET, config.PUBLIC_BASE_URL) }),
  settings: {
    publicBaseUrl: config.PUBLIC_BASE_URL,
    webhooks: {
      allowPrivateNetworks: config.ALLOW_PRIVATE_WEBHOOK_TARGETS,
      claimSeconds: config.WEBHOOK_CLAIM_SECONDS,
      ...(config.WEBHOOK_RETRY_SCHEDULE ? { retryScheduleSeconds: config.WEBHOOK_RETRY_SCHEDULE } : {}),
    },
  },
  secrets: new EnvelopeSealer(await KeyFileWrapper.load(config.SECRET_KEYS_DIR)),
  log,
});
const dispatcher = new WebhookDispatcher({ ctx, concurrency: config.DISPATCHER_CONCURRENCY });
dispatcher.start();
log.info('dispatcher ready', { concurrency: config.DISPATCHER_CONCURRENCY });

stopOnSignals(log, 'dispatcher', async () => {
  await dispatcher.stop();
  await database.close();
});
