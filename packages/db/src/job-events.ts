import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { jobEvents } from './schema.ts';
import { parseJobEvent, type JobEventPayload } from './trigger-payloads.ts';

// The live-status events the trigger `jobs_record_event` writes, read back for streams.

export type JobEventRow = { id: number; createdAt: Date } & JobEventPayload;

/** A job's events after an event id, in order (for live status and its resumption). */
export async function findJobEventsAfter(exec: Executor, jobId: string, afterId: number, limit: number): Promise<JobEventRow[]> {
  const rows = await exec
    .select({ id: jobEvents.id, type: jobEvents.type, data: jobEvents.data, createdAt: jobEvents.createdAt })
    .from(jobEvents)
    .where(and(eq(jobEvents.jobId, jobId), sql`${jobEvents.id} > ${afterId}`))
    .orderBy(jobEvents.id)
    .limit(limit);
  return rows.map((row) => ({ id: row.id, createdAt: row.createdAt, ...parseJobEvent(row.type, row.data) }));
}

/** Drops events older than the given age (live status is for jobs in flight). */
export async function purgeOldJobEvents(exec: Executor, olderThanSeconds: number, limit: number): Promise<number> {
  const rows = await exec.execute(sql`
    DELETE FROM job_events WHERE id IN (
      SELECT id FROM job_events WHERE created_at < now() - make_interval(secs => ${olderThanSeconds}) ORDER BY id LIMIT ${limit})`);
  return rows.count;
}
