import { declareSetting } from '../setting.ts';
import { positiveSeconds, retryScheduleSchema, switchSchema, wholeNumber } from '../value-schemas.ts';

// Webhook delivery: where webhooks may go, how often they are retried, how dispatchers share work.

export const ALLOW_PRIVATE_WEBHOOK_TARGETS = declareSetting({
  name: 'ALLOW_PRIVATE_WEBHOOK_TARGETS',
  description:
    'Let webhooks target loopback and private networks. For local development and tests only; `npm start` announces it, and the CDK app never sets it, so AWS refuses private targets.',
  schema: switchSchema,
  default: false,
});

/** `npm start` runs on a developer's machine, where the receiver is usually on localhost. */
export const LOCAL_ALLOW_PRIVATE_WEBHOOK_TARGETS = ALLOW_PRIVATE_WEBHOOK_TARGETS.variant({ default: true });

export const WEBHOOK_RETRY_SCHEDULE = declareSetting({
  name: 'WEBHOOK_RETRY_SCHEDULE',
  description: 'Comma-separated retry delays in seconds after the first attempt.',
  schema: retryScheduleSchema,
  whenUnset: 'Standard Webhooks',
});

export const WEBHOOK_CLAIM_SECONDS = declareSetting({
  name: 'WEBHOOK_CLAIM_SECONDS',
  description:
    'How long a dispatcher holds a delivery it is sending (or one relayed to the queue) before another may take it over; longer than the 15 s webhook timeout. Every process that relays must agree.',
  schema: positiveSeconds(3600),
  default: 60,
});

export const DISPATCHER_CONCURRENCY = declareSetting({
  name: 'DISPATCHER_CONCURRENCY',
  description: 'Webhook deliveries in flight at once (`npm start`: `0` runs no dispatcher in the process).',
  schema: wholeNumber(0, 1000),
  default: 32,
});

/** A standalone dispatcher exists to dispatch: it needs at least one delivery in flight. */
export const STANDALONE_DISPATCHER_CONCURRENCY = DISPATCHER_CONCURRENCY.variant({ schema: wholeNumber(1, 1000) });
