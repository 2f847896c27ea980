import { bflStatusOf, type JobStatus } from '@kontext/core';
import type { JobWithOutput, WebhookDeliveryRow } from '@kontext/db';
import type { ServiceContext } from '../context.ts';
import { signedUrlOf } from '../assets/signed-url-of.ts';

interface Snapshot {
  status: JobStatus;
  progress: number | null;
  error: string | null;
  engine: string | null;
}

/**
 * The body of a delivery: the event type and time, then BFL's get_result fields as the job was
 * when the event happened, so BFL-style receivers read it as they read a poll. Small: the image is
 * a link (a signed URL made fresh for each attempt, since retries can come hours later), never bytes.
 */
export async function renderWebhookBody(ctx: ServiceContext, delivery: WebhookDeliveryRow, found: JobWithOutput | undefined): Promise<string> {
  const snapshot = delivery.snapshot as Snapshot;
  const job = found?.job;
  let result = null;
  if (job && snapshot.status === 'succeeded' && job.startedAt && job.finishedAt) {
    const start = job.startedAt.getTime() / 1000;
    const end = job.finishedAt.getTime() / 1000;
    result = {
      sample: found.outputDeletedAt ? null : await signedUrlOf(ctx, found.outputStorageKey),
      prompt: job.prompt,
      seed: job.seed,
      start_time: start,
      end_time: end,
      duration: Math.round((end - start) * 1000) / 1000,
    };
  }
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
    },
  });
}
