import { z } from '@hono/zod-openapi';
import { integerParameter, JobStreamEventSchema, sleep } from '@kontext/core';
import { readJobEvents } from '@kontext/services';
import { streamSSE } from 'hono/streaming';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

// GET /v1/jobs/{id}/events: live status as Server-Sent Events. Every status change and progress
// step is an event whose id is its place in the job's history, so a client that reconnects with
// Last-Event-ID (or ?last_event_id=) resumes exactly after what it saw. Comments keep idle
// connections open; the stream ends after the terminal status.

const KEEP_ALIVE_MS = 15_000;
const BATCH = 100;
/** How soon a client reconnects after a bounded stream ends (the SSE `retry` field). */
const RECONNECT_MS = 500;

const QuerySchema = z.object({
  last_event_id: integerParameter(0, Number.MAX_SAFE_INTEGER).optional().openapi({ param: { name: 'last_event_id', in: 'query' } }),
});

export function registerJobEvents(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'streamJobEvents',
    path: '/v1/jobs/{id}/events',
    tags: ['Jobs and lineage'],
    summary: 'Live status (Server-Sent Events)',
    description:
      '`status` and `progress` events in order, resumable with Last-Event-ID, keep-alive comments every 15 s; the stream ' +
      'ends after the terminal status. Behind a gateway with a response timeout (AWS) the stream also ends after a bounded ' +
      'time with a `retry` hint; reconnect with Last-Event-ID to continue. Needs jobs:read.',
    request: { params: IdParamsSchema, query: QuerySchema },
    responses: {
      200: {
        description: 'The event stream; `schema` describes each event (OpenAPI 3.1 has no itemSchema).',
        content: { 'text/event-stream': { schema: JobStreamEventSchema } },
      },
      404: problemResponseSpec('No such job for this tenant.'),
    },
  });
  app.openapi(route, async (c) => {
    const auth = c.get('auth');
    const jobId = c.req.valid('param').id;
    const header = Number(c.req.header('last-event-id'));
    const resumeFrom = Number.isInteger(header) && header > 0 ? header : (c.req.valid('query').last_event_id ?? 0);
    // Subscribed before the first read, so a change committed in between still wakes the stream.
    let changed = false;
    let wake: () => void = () => {};
    const unsubscribe = await deps.ctx.jobEvents.subscribe(jobId, () => {
      changed = true;
      wake();
    });
    // Read before the stream opens, so an unknown job is a plain 404.
    let first: Awaited<ReturnType<typeof readJobEvents>>;
    try {
      first = await readJobEvents({ ctx: deps.ctx, input: { auth, jobId, afterId: resumeFrom, limit: BATCH } });
    } catch (error) {
      unsubscribe();
      throw error;
    }
    // Behind a gateway that buffers responses, the stream ends in time and the client resumes.
    const endsAt = deps.maxStreamSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + deps.maxStreamSeconds * 1000;
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => wake());
      let after = resumeFrom;
      let batch = first;
      try {
        if (Number.isFinite(endsAt)) await stream.write(`retry: ${RECONNECT_MS}\n\n`);
        for (;;) {
          for (const event of batch.events) {
            await stream.writeSSE({ id: String(event.id), event: event.event, data: JSON.stringify(event.data) });
            after = Math.max(after, event.id);
            if (event.terminal) return;
          }
          if (batch.finished && batch.events.length === 0) return;
          if (batch.events.length < BATCH && !changed) {
            const remaining = endsAt - Date.now();
            if (remaining <= 0) return;
            const wakeup = new AbortController();
            wake = () => wakeup.abort();
            const timedOut = await sleep(Math.min(KEEP_ALIVE_MS, remaining), wakeup.signal);
            if (stream.aborted) return;
            if (Date.now() >= endsAt) return;
            if (timedOut) await stream.write(': keep-alive\n\n');
          }
          changed = false;
          batch = await readJobEvents({ ctx: deps.ctx, input: { auth, jobId, afterId: after, limit: BATCH } });
        }
      } finally {
        unsubscribe();
      }
    });
  });
}
