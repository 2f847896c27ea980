import { z } from 'zod';
import type { TerminalJobStatus } from './job-state.ts';
import { IsoTimeSchema } from './platform-contract.ts';
import { httpUrl, integerParameter, text } from './text.ts';

// Webhooks on the wire: tenant endpoints with event filters and rotating secrets, and the log of
// every delivery and attempt. Deliveries are signed per Standard Webhooks.


/** The events an endpoint can subscribe to: a job's. */
export const WEBHOOK_EVENTS = ['job.started', 'job.succeeded', 'job.failed', 'job.moderated', 'job.canceled'] as const;
export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/**
 * A test event, sent to one endpoint when asked (`POST /v1/webhooks/endpoints/{id}/test`), never
 * subscribed to: it is about no job. Its body is `{type, timestamp, data: {endpoint_id, message}}`.
 */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** What a delivery can carry: the subscribable events, and the test event. */
export const WEBHOOK_DELIVERY_EVENTS = [...WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT] as const;
export const WebhookDeliveryEventSchema = z.enum(WEBHOOK_DELIVERY_EVENTS);
export type WebhookDeliveryEvent = z.infer<typeof WebhookDeliveryEventSchema>;

/** The `data` of a test event's body, as stored with its delivery (so every attempt sends the same body). */
export const WebhookTestEventDataSchema = z.object({ endpoint_id: z.string(), message: z.string() });
export type WebhookTestEventData = z.infer<typeof WebhookTestEventDataSchema>;

export const WEBHOOK_TEST_MESSAGE = 'A test event from the Kontext console or API; no job is involved.';

/** Test deliveries that may be pending for one endpoint at once; one more is refused with 429. */
export const MAX_PENDING_TEST_DELIVERIES = 10;

/**
 * The event a job's move to each terminal status sends (`job.started` is sent on the first claim).
 * The trigger that writes deliveries (migration 0004, `enqueue_job_webhooks`) spells the same map
 * out in SQL; a test reads it back from the catalog and compares.
 */
export const TERMINAL_WEBHOOK_EVENTS = {
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  request_moderated: 'job.moderated',
  content_moderated: 'job.moderated',
  canceled: 'job.canceled',
} as const satisfies Record<TerminalJobStatus, WebhookEvent>;

/** The Standard Webhooks retry schedule after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const STANDARD_WEBHOOK_RETRY_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400];

export const WebhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.url(),
    description: z.string(),
    events: z.array(WebhookEventSchema),
    status: z.enum(['active', 'disabled']),
    disabled_reason: z.string().nullable(),
    secret_rotation_ends_at: IsoTimeSchema.nullable().describe('Until then deliveries carry signatures of both the new and the previous secret.'),
    created_at: IsoTimeSchema,
  })
  .meta({ id: 'WebhookEndpoint' });

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().describe('whsec_ + base64 of the signing key. Shown when created or rotated, not again.'),
}).meta({ id: 'WebhookEndpointWithSecret' });

const endpointUrl = httpUrl(2083).describe(
  'Where deliveries are POSTed. Its host must resolve, and to a public address unless the operator allows private networks; otherwise 422.',
);

export const CreateWebhookEndpointRequestSchema = z
  .strictObject({
    url: endpointUrl,
    events: z.array(WebhookEventSchema).min(1).max(WEBHOOK_EVENTS.length).optional().describe('Default: every event.'),
    description: text({ max: 500 }).optional(),
  })
  .meta({ id: 'CreateWebhookEndpointRequest' });

export const UpdateWebhookEndpointRequestSchema = z
  .strictObject({
    url: endpointUrl.optional(),
    events: z.array(WebhookEventSchema).min(1).max(WEBHOOK_EVENTS.length).optional(),
    description: text({ max: 500 }).optional(),
    enabled: z
      .boolean()
      .optional()
      .describe('false: stop delivering to the endpoint (its pending deliveries fail); true: re-enable an endpoint that was disabled (by hand, or after it answered 410).'),
  })
  .meta({ id: 'UpdateWebhookEndpointRequest' });

export const RotateWebhookSecretRequestSchema = z
  .strictObject({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional()
      .describe('How long the previous secret keeps signing too; default 24 hours.'),
  })
  .meta({ id: 'RotateWebhookSecretRequest' });

export const WebhookEndpointListSchema = z.object({ data: z.array(WebhookEndpointSchema) }).meta({ id: 'WebhookEndpointList' });

export const WebhookAttemptSchema = z
  .object({
    attempt: z.number().int(),
    started_at: IsoTimeSchema,
    duration_ms: z.number().int(),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    response_excerpt: z.string().nullable().describe('The start of what the receiver answered.'),
  })
  .meta({ id: 'WebhookAttempt' });

export const WebhookDeliverySchema = z
  .object({
    id: z.string().describe('The webhook-id header: the same on every attempt of this message.'),
    job_id: z.string().nullable().describe('The job the event is about; null for a test event (webhook.test).'),
    endpoint_id: z.string().nullable().describe("Null for a request's own webhook_url."),
    url: z.string(),
    event_type: WebhookDeliveryEventSchema.describe(
      'A job event an endpoint subscribes to, or webhook.test: a test event sent on request (POST /v1/webhooks/endpoints/{id}/test), ' +
        'never subscribed to, whose body is {"type":"webhook.test","timestamp":"<ISO 8601>","data":{"endpoint_id":"whe_…","message":"…"}}.',
    ),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    next_attempt_at: IsoTimeSchema.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: IsoTimeSchema,
    delivered_at: IsoTimeSchema.nullable(),
    attempt_log: z.array(WebhookAttemptSchema),
  })
  .meta({ id: 'WebhookDelivery' });

export const WebhookDeliveryListSchema = z
  .object({ data: z.array(WebhookDeliverySchema), next_cursor: z.string().nullable() })
  .meta({ id: 'WebhookDeliveryList' });

export const WebhookDeliveryQuerySchema = z.object({
  job_id: text({ max: 100 }).optional().describe('Only the deliveries about this job (test events are about none).'),
  endpoint_id: text({ max: 100 }).optional(),
  outcome: z.enum(['pending', 'succeeded', 'failed']).optional(),
  cursor: text({ max: 100 }).optional().describe('next_cursor of the previous page.'),
  limit: integerParameter(1, 100).default(20),
});
