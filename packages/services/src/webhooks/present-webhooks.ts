import type { WebhookDeliveryEvent, WebhookDeliverySchema, WebhookEndpointSchema, WebhookEvent } from '@kontext/core';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from '@kontext/db';
import type { z } from 'zod';

export type PublicWebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;
export type PublicWebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export function presentEndpoint(row: WebhookEndpointRow, now = Date.now()): PublicWebhookEndpoint {
  const rotating = row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEvent[],
    status: row.disabledAt ? 'disabled' : 'active',
    disabled_reason: row.disabledReason,
    secret_rotation_ends_at: rotating ? row.previousSecretExpiresAt!.toISOString() : null,
    created_at: row.createdAt.toISOString(),
  };
}

export function presentDelivery(delivery: WebhookDeliveryRow, attempts: WebhookAttemptRow[]): PublicWebhookDelivery {
  return {
    id: delivery.id,
    job_id: delivery.jobId,
    endpoint_id: delivery.endpointId,
    url: delivery.url,
    event_type: delivery.eventType as WebhookDeliveryEvent,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: delivery.createdAt.toISOString(),
    delivered_at: delivery.deliveredAt?.toISOString() ?? null,
    attempt_log: attempts.map((a) => ({
      attempt: a.attempt,
      started_at: a.startedAt.toISOString(),
      duration_ms: a.durationMs,
      status_code: a.statusCode,
      error: a.error,
      response_excerpt: a.responseExcerpt,
    })),
  };
}
