import { z } from 'zod';

// Postgres NOTIFY channels shared by the code that writes (repositories, the database's own
// triggers in packages/db/migrations) and the code that listens (adapters, watchers).

/** Wakes consumers of the Postgres queue; the payload is the queue name. */
export const POSTGRES_QUEUE_CHANNEL = 'kontext_queue';

/** A job's status or progress changed; the payload is the job id. */
export const JOB_EVENTS_CHANNEL = 'kontext_job_events';

/** Webhook deliveries were written and may be due. */
export const WEBHOOKS_CHANNEL = 'kontext_webhooks';

/**
 * The queue the cloud's webhook dispatcher consumes (one machine's dispatcher reads the outbox
 * directly instead). A message names one delivery and carries the token that lets it claim it.
 */
export const WEBHOOKS_QUEUE = 'webhooks';

/** Prefix of every SQS queue's name unless a deployment sets its own (QUEUE_NAME_PREFIX). */
export const DEFAULT_SQS_NAME_PREFIX = 'kontext-';

/** A message on the webhooks queue. */
export const WebhookRelayMessageSchema = z.object({
  deliveryId: z.string().min(1).max(100),
  relayToken: z.string().min(1).max(100),
});
export type WebhookRelayMessage = z.infer<typeof WebhookRelayMessageSchema>;
