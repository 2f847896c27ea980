import { connectDatabase } from '@kontext/db';
import { PostgresQueue } from '@kontext/queue';
import { createLogger, createServiceContext, environmentOrExit, platformSettingsOf, stopOnSignals } from '@kontext/services';
import { EnvelopeSealer, KeyFileWrapper } from '@kontext/secrets';
import { DISPATCHER_SETTINGS, settingsSchema } from '@kontext/settings';
import { BlobUrlSigner, FilesystemBlobStore } from '@kontext/storage';
import { WebhookDispatcher } from './dispatcher.ts';

// The standalone webhook dispatcher process: configuration from the environment
// (DISPATCHER_SETTINGS), validated at start; SIGTERM/SIGINT stop claiming and let deliveries in
// flight finish.

const config = environmentOrExit(settingsSchema(DISPATCHER_SETTINGS), process.env);
const log = createLogger({ level: config.LOG_LEVEL, base: { service: 'dispatcher' } });
const database = connectDatabase(config.DATABASE_URL, { applicationName: 'kontext-dispatcher', maxConnections: 4 + Math.ceil(config.DISPATCHER_CONCURRENCY / 4) });
const ctx = createServiceContext({
  db: database.db,
  queue: new PostgresQueue(database.sql),
  storage: new FilesystemBlobStore({ root: config.STORAGE_DIR, signer: new BlobUrlSigner(config.URL_SIGNING_SECRET, config.PUBLIC_BASE_URL) }),
  settings: platformSettingsOf(config),
  // The Postgres queue on the same database: this dispatcher reads the deliveries' outbox itself.
  queueInJobDatabase: true,
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
