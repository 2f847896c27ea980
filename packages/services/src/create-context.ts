import { DEFAULT_MODEL_CATALOG, type ModelCatalog } from '@kontext/core';
import type { Database } from '@kontext/db';
import type { Mailer } from '@kontext/mailer';
import type { MessageQueue } from '@kontext/queue';
import type { BlobStore } from '@kontext/storage';
import type { Resolver } from '@kontext/net';
import type { SecretSealer } from '@kontext/secrets';
import { ApiKeyCache } from './auth/api-key-cache.ts';
import type { ServiceContext } from './context.ts';
import { createUrlInputFetcher } from './images/fetch-url-input.ts';
import { JobEventHub, PollingJobEvents } from './jobs/job-event-hub.ts';
import { silentLogger, type Logger } from './logger.ts';
import { OpenAiCompatibleUpsampler } from './prompts/openai-compatible-upsampler.ts';
import type { PromptUpsampler } from './prompts/prompt-upsampler.ts';
import { PlatformSettingsSchema, type PlatformSettings, type PlatformSettingsInput } from './settings.ts';

/** The key ring of a process that was given none (a worker): sealing or opening says so. */
const NO_KEY_RING: SecretSealer = {
  seal: () => Promise.reject(new Error('this process has no key ring for webhook secrets')),
  open: () => Promise.reject(new Error('this process has no key ring for webhook secrets')),
  isCurrent: () => true,
  currentPrefix: 'sealed:v1:none:',
};

/** Whether this process was given a key ring for webhook secrets. */
export function hasKeyRing(ctx: ServiceContext): boolean {
  return ctx.secrets !== NO_KEY_RING;
}

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
  /**
   * True only when `queue` is the Postgres queue on `db`'s database (see ServiceContext). The
   * default, false, is safe with any queue: jobs go through the outbox and reach it either way.
   */
  queueInJobDatabase?: boolean;
  /**
   * `listen`: one LISTEN connection per process (servers). `poll`: subscribers are woken on an
   * interval and re-read (Lambda behind a connection proxy, where LISTEN would pin a connection).
   */
  jobEventSignals?: 'listen' | { pollIntervalMs: number };
  /** Webhook secrets' key ring; a process without one cannot create, rotate or deliver signed webhooks. */
  secrets?: SecretSealer;
  /** The mail port (SMTP or the local outbox); none: invitations are made but not mailed. */
  mailer?: Mailer;
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
    queueInJobDatabase: options.queueInJobDatabase ?? false,
    jobEvents:
      options.jobEventSignals === undefined || options.jobEventSignals === 'listen'
        ? new JobEventHub(options.db.$client)
        : new PollingJobEvents(options.jobEventSignals.pollIntervalMs),
    secrets: options.secrets ?? NO_KEY_RING,
    promptUpsampler: promptUpsamplerOf(settings.promptUpsampler),
    mailer: options.mailer,
  };
}

/** The upsampler the settings describe; none without a URL (the schema requires a model with one). */
function promptUpsamplerOf(settings: PlatformSettings['promptUpsampler']): PromptUpsampler | undefined {
  if (settings.url === undefined || settings.model === undefined) return undefined;
  return new OpenAiCompatibleUpsampler({
    url: settings.url,
    model: settings.model,
    apiKey: settings.apiKey,
    timeoutSeconds: settings.timeoutSeconds,
    allowPrivateNetworks: settings.allowPrivateNetworks,
    maxResponseBytes: settings.maxResponseBytes,
  });
}
