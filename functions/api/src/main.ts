import { connectDatabase } from '@kontext/db';
import { PostgresQueue } from '@kontext/queue';
import { createSmtpMailer } from '@kontext/mailer';
import { createLogger, createServiceContext, environmentOrExit, platformSettingsOf, stopOnSignals } from '@kontext/services';
import { EnvelopeSealer, KeyFileWrapper } from '@kontext/secrets';
import { API_SERVER_SETTINGS, settingsSchema } from '@kontext/settings';
import { BlobUrlSigner, FilesystemBlobStore } from '@kontext/storage';
import { createApp } from './app.ts';
import { nodeConnectionInfo, startServer } from './server.ts';
import { PLATFORM_VERSION } from './version.ts';

// A standalone API server process over an existing database (the one-machine runner embeds the
// same app; several of these can share one database behind a load balancer). Configuration from
// the environment (API_SERVER_SETTINGS), validated at start; SIGTERM/SIGINT stop it after
// in-flight requests.

const config = environmentOrExit(settingsSchema(API_SERVER_SETTINGS), process.env);
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
  settings: platformSettingsOf(config),
  // The Postgres queue on the same database: a job and its message commit together.
  queueInJobDatabase: true,
  secrets: new EnvelopeSealer(await KeyFileWrapper.load(config.SECRET_KEYS_DIR)),
  log,
  // Servers behind a load balancer share no disk for an outbox: mail needs SMTP_URL.
  ...(config.SMTP_URL ? { mailer: createSmtpMailer({ url: config.SMTP_URL, from: config.MAIL_FROM }) } : {}),
});
const app = createApp({
  ctx,
  maxBodyBytes: config.MAX_BODY_BYTES,
  ...(config.CORS_ORIGINS ? { corsOrigins: config.CORS_ORIGINS } : {}),
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
