import { JobStatusSchema } from '@kontext/core';
import { z } from 'zod';

// The JSON the job triggers build in SQL (migration 0004), parsed where it crosses into
// TypeScript: a change to a trigger that drops or renames a field fails here, loudly, instead of
// reaching a client as `undefined`.

/** `webhook_deliveries.snapshot`: the job as it was when the event happened (`enqueue_job_webhooks`). */
export const WebhookSnapshotSchema = z.object({
  status: JobStatusSchema,
  progress: z.number().nullable(),
  error: z.string().nullable(),
  engine: z.string().nullable(),
});
export type WebhookSnapshot = z.infer<typeof WebhookSnapshotSchema>;

/** `job_events.data` of a status event (`record_job_event`; `error` is stripped when null). */
export const JobStatusEventDataSchema = z.object({
  status: JobStatusSchema,
  attempt: z.number().int(),
  error: z.string().optional(),
});

/** `job_events.data` of a progress event (`record_job_event`). */
export const JobProgressEventDataSchema = z.object({ progress: z.number() });

export type JobEventPayload =
  | { type: 'status'; data: z.infer<typeof JobStatusEventDataSchema> }
  | { type: 'progress'; data: z.infer<typeof JobProgressEventDataSchema> };

export function parseWebhookSnapshot(snapshot: unknown): WebhookSnapshot {
  return WebhookSnapshotSchema.parse(snapshot);
}

export function parseJobEvent(type: 'status' | 'progress', data: unknown): JobEventPayload {
  return type === 'status'
    ? { type, data: JobStatusEventDataSchema.parse(data) }
    : { type, data: JobProgressEventDataSchema.parse(data) };
}
