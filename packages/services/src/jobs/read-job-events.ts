import { bflStatusOf, isTerminal } from '@kontext/core';
import { findJobEventsAfter } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { findOwnJob } from './find-own-job.ts';
import { presentJobResult } from './present-job-result.ts';

export interface JobStreamEvent {
  id: number;
  event: 'status' | 'progress';
  data: Record<string, unknown>;
  terminal: boolean;
}

/**
 * The next events of a job after `afterId`, for a live status stream, and whether the job has
 * finished. A finished job whose events were already purged gets one synthetic status event.
 */
export async function readJobEvents({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; jobId: string; afterId: number; limit: number }>): Promise<{ events: JobStreamEvent[]; finished: boolean }> {
  requireScope(input.auth, 'jobs:read');
  const job = await findOwnJob(ctx, input.auth, input.jobId);
  const rows = await findJobEventsAfter(ctx.db, job.id, input.afterId, input.limit);
  // A finished job's status event carries get_result's `result` (a fresh sample URL), read once,
  // after the events: a job that finished since it was read above has its terminal event here.
  const finished = isTerminal(job.status);
  const endsHere = rows.some((row) => row.type === 'status' && isTerminal(row.data.status));
  const result = finished || endsHere ? ((await presentJobResult(ctx, input.auth.tenantId, job.id))?.result ?? null) : null;
  const events = rows.map((row): JobStreamEvent => {
    const status = row.type === 'status' ? row.data.status : undefined;
    const terminal = status !== undefined && isTerminal(status);
    return {
      id: row.id,
      event: row.type,
      data: {
        job_id: job.id,
        ...row.data,
        ...(status ? { bfl_status: bflStatusOf(status) } : {}),
        ...(terminal ? { result } : {}),
        at: row.createdAt.toISOString(),
      },
      terminal,
    };
  });
  if (finished && rows.length === 0 && input.afterId === 0) {
    const data: Record<string, unknown> = { job_id: job.id, status: job.status, attempt: job.attempts };
    if (job.errorMessage) data.error = job.errorMessage;
    data.bfl_status = bflStatusOf(job.status);
    data.result = result;
    data.at = (job.finishedAt ?? job.createdAt).toISOString();
    events.push({ id: 0, event: 'status', data, terminal: true });
  }
  return { events, finished };
}
