import { DEFAULT_MODEL_CATALOG, type ModelCatalog } from '@kontext/core';
import type { Database } from '@kontext/db';
import type { MessageQueue } from '@kontext/queue';
import type { BlobStore } from '@kontext/storage';
import type { Resolver } from '@kontext/net';
import { ApiKeyCache } from './auth/api-key-cache.ts';
import type { JobDispatchMode, ServiceContext, WebhookDeliveryMode } from './context.ts';
import { createUrlInputFetcher } from './images/fetch-url-input.ts';
import { JobEventHub, PollingJobEvents } from './jobs/job-event-hub.ts';
import { silentLogger, type Logger } from './logger.ts';
import { PlatformSettingsSchema, type PlatformSettingsInput } from './settings.ts';

export interface ServiceContextOptions {
  db: Database;
  /** Asynchronous-commit pool for counters; defaults to `db`. */
  counters?: Database;
  storage: BlobStore;
  queue: MessageQueue;
  settings: PlatformSettingsInput;
  catalog?: ModelCatalog;
  log?: Logger;
  /** DNS for URL inputs; tests inject one to aim hostnames at chosen addresses. */
  resolve?: Resolver;
  /** `same-transaction` only when `queue` is the Postgres queue on `db`'s database. */
  jobDispatch?: JobDispatchMode;
  /** `queue` where no dispatcher process reads the outbox (the cloud's queue-driven dispatcher). */
  webhookDelivery?: WebhookDeliveryMode;
  /**
   * `listen`: one LISTEN connection per process (servers). `poll`: subscribers are woken on an
   * interval and re-read (Lambda behind a connection proxy, where LISTEN would pin a connection).
   */
  jobEventSignals?: 'listen' | { pollIntervalMs: number };
}

export function createServiceContext(options: ServiceContextOptions): ServiceContext {
  const settings = PlatformSettingsSchema.parse(options.settings);
  return {
    db: options.db,
    counters: options.counters ?? options.db,
    storage: options.storage,
    queue: options.queue,
    catalog: options.catalog ?? DEFAULT_MODEL_CATALOG,
    settings,
    log: options.log ?? silentLogger,
    apiKeyCache: new ApiKeyCache({ ttlMs: settings.apiKeyCacheTtlMs }),
    fetchUrlInput: createUrlInputFetcher(settings, options.resolve),
    jobDispatch: options.jobDispatch ?? 'outbox',
    webhookDelivery: options.webhookDelivery ?? 'outbox',
    jobEvents:
      options.jobEventSignals === undefined || options.jobEventSignals === 'listen'
        ? new JobEventHub(options.db.$client)
        : new PollingJobEvents(options.jobEventSignals.pollIntervalMs),
  };
}
