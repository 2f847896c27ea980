import { bflStatusOf, WEBHOOK_TEST_EVENT, WebhookTestEventDataSchema } from '@kontext/core';
import { parseWebhookSnapshot, type JobWithOutput, type WebhookDeliveryRow } from '@kontext/db';
import type { ServiceContext } from '../context.ts';
import { bflResultOf } from '../jobs/bfl-result-of.ts';

/**
 * The body of a delivery: the event type and time, then BFL's get_result fields as the job was
 * when the event happened, so BFL-style receivers read it as they read a poll. Small: the image is
 * a link (a signed URL made fresh for each attempt, since retries can come hours later), never bytes.
 * A test event is about no job: its type and time, and `data` as stored when it was asked for.
 */
export async function renderWebhookBody(ctx: ServiceContext, delivery: WebhookDeliveryRow, found: JobWithOutput | undefined): Promise<string> {
  if (delivery.eventType === WEBHOOK_TEST_EVENT) {
    return JSON.stringify({ type: delivery.eventType, timestamp: delivery.occurredAt.toISOString(), data: WebhookTestEventDataSchema.parse(delivery.snapshot) });
  }
  const snapshot = parseWebhookSnapshot(delivery.snapshot);
  const job = found?.job;
  const result = found && snapshot.status === 'succeeded' ? await bflResultOf(ctx, found) : null;
  return JSON.stringify({
    type: delivery.eventType,
    timestamp: delivery.occurredAt.toISOString(),
    id: delivery.jobId,
    status: bflStatusOf(snapshot.status),
    result,
    progress: snapshot.progress,
    details: {
      status: snapshot.status,
      model: job?.model ?? null,
      engine: snapshot.engine,
      ...(snapshot.error ? { error: snapshot.error } : {}),
      ...(snapshot.status === 'canceled' ? { reason: 'canceled' } : {}),
      ...(job?.promptUpsampling ? { prompt_upsampling: job.promptUpsampling } : {}),
      ...(job && job.upsampledPrompt !== null ? { upsampled_prompt: job.upsampledPrompt } : {}),
    },
  });
}
