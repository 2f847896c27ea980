import type { ModelCatalog } from '@kontext/core';
import type { Database } from '@kontext/db';
import type { MessageQueue } from '@kontext/queue';
import type { SecretSealer } from '@kontext/secrets';
import type { BlobStore } from '@kontext/storage';
import type { ApiKeyCache } from './auth/api-key-cache.ts';
import type { Logger } from './logger.ts';
import type { PlatformSettings } from './settings.ts';
import type { FetchUrlInput } from './images/fetch-url-input.ts';
import type { JobEventSource } from './jobs/job-event-hub.ts';

/** Everything a verb may touch, wired by a composition root (local runner, Lambda, worker). */
export interface ServiceContext {
  db: Database;
  /**
   * A pool that commits without waiting for the WAL flush, for state that may be lost in a crash
   * at no harm: rate-limit arrival times and key last-use times. May be the same as `db`.
   */
  counters: Database;
  storage: BlobStore;
  queue: MessageQueue;
  catalog: ModelCatalog;
  settings: PlatformSettings;
  log: Logger;
  apiKeyCache: ApiKeyCache;
  /** Fetches a URL input through the SSRF guard; replaceable so tests can point hostnames at loopback. */
  fetchUrlInput: FetchUrlInput;
  /**
   * How a new job reaches its queue. `same-transaction`: the queue is the Postgres queue in this
   * database, so the message is written in the job's own transaction. `outbox`: an outbox row is
   * written with the job and relayed to an external queue (SQS) after commit.
   */
  jobDispatch: JobDispatchMode;
  /**
   * How webhook deliveries reach a dispatcher. `outbox`: a dispatcher process reads the outbox
   * table itself, woken by NOTIFY (one machine). `queue`: each state change relays its due
   * deliveries to the webhooks queue, which the queue-driven dispatcher consumes (cloud).
   */
  webhookDelivery: WebhookDeliveryMode;
  /** This process's source of job-change signals (live status, Prefer: wait). */
  jobEvents: JobEventSource;
  /** Seals and opens webhook signing secrets, which are stored encrypted (see webhook-secrets.ts). */
  secrets: SecretSealer;
}

export type JobDispatchMode = 'same-transaction' | 'outbox';
export type WebhookDeliveryMode = 'outbox' | 'queue';

export interface VerbArgs<Input> {
  ctx: ServiceContext;
  input: Input;
}
