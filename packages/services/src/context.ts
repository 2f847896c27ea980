import type { ModelCatalog } from '@kontext/core';
import type { Mailer } from '@kontext/mailer';
import type { Database } from '@kontext/db';
import type { MessageQueue } from '@kontext/queue';
import type { SecretSealer } from '@kontext/secrets';
import type { BlobStore } from '@kontext/storage';
import type { ApiKeyCache } from './auth/api-key-cache.ts';
import type { Logger } from './logger.ts';
import type { PlatformSettings } from './settings.ts';
import type { FetchUrlInput } from './images/fetch-url-input.ts';
import type { JobEventSource } from './jobs/job-event-hub.ts';
import type { PromptUpsampler } from './prompts/prompt-upsampler.ts';

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
   * Whether `queue` is the Postgres queue in `db`'s own database (one machine, a standalone server
   * over one database) rather than an external queue (SQS in the cloud). It decides two things:
   * - how a new job reaches its queue: in the job's own transaction (true), or through an outbox
   *   row written with the job and sent after commit, relayed by the sweeper if that send is lost;
   * - how webhook deliveries reach a dispatcher: a dispatcher reads the outbox table itself, woken
   *   by NOTIFY (true), or each state change relays its due deliveries to the webhooks queue,
   *   which the queue-driven dispatcher consumes.
   */
  queueInJobDatabase: boolean;
  /** This process's source of job-change signals (live status, Prefer: wait). */
  jobEvents: JobEventSource;
  /** Seals and opens webhook signing secrets, which are stored encrypted (see webhook-secrets.ts). */
  secrets: SecretSealer;
  /**
   * Rewrites the prompts of jobs that ask for it, before the engine runs them
   * (jobs/upsample-job-prompt.ts); undefined where the operator configured none.
   */
  promptUpsampler: PromptUpsampler | undefined;
  /** Sends invitations and password resets; undefined in processes that send no mail (workers). */
  mailer: Mailer | undefined;
}

export interface VerbArgs<Input> {
  ctx: ServiceContext;
  input: Input;
}
