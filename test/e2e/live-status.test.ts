import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { GetResultResponse, SubmitResponse } from '@kontext/core';
import { EngineError, PreviewEngine } from '@kontext/gpu-worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../harness/api-client.ts';
import { ScriptedEngine, TestWorkers } from '../harness/engines.ts';
import { startTestPlatform, type TestPlatform } from '../harness/platform.ts';
import { expectProblem } from '../harness/problems.ts';
import { jobLedger, tenantMoney, withSql } from '../harness/sql.ts';
import { sleep } from '@kontext/core';

// Live status: the Server-Sent Events stream of a job (ordered, resumable, ending after the
// terminal status), `Prefer: wait` on submit, and cancel in every state of a job.

// Deadlines for waits, not measurements: generous, since a loaded machine only makes things slower.
const DEADLINE_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// A small SSE client over fetch: reads the body as a stream, splits it into blocks on blank
// lines, parses `id:`, `event:`, `data:` and comment lines, and can be aborted mid-stream.

interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

interface JobEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

class SseStream {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** How the body ended: by itself (the server closed it), by our abort, or by an error. */
  endedBy: 'eof' | 'abort' | 'error' | undefined;
  readonly finished: Promise<void>;
  readonly #controller: AbortController;
  readonly #waiters = new Set<() => void>();
  #buffer = '';

  constructor(response: Response, controller: AbortController) {
    this.#controller = controller;
    this.finished = this.#read(response);
  }

  get ended(): boolean {
    return this.endedBy !== undefined;
  }

  /** The messages so far as job events (id as a number, data parsed). */
  get events(): JobEvent[] {
    return this.messages.map(toJobEvent);
  }

  /** Drops the connection, as a client losing its network would, and waits for the reader to stop. */
  async abort(): Promise<void> {
    this.#controller.abort();
    await this.finished;
  }

  /** Waits until `predicate` holds over the events received so far (or the stream ends, or time is up). */
  async waitFor(predicate: (events: JobEvent[]) => boolean, timeoutMs = DEADLINE_MS): Promise<JobEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = this.events;
      if (predicate(events)) return events;
      if (this.ended) throw new Error(`stream ended (${this.endedBy}) before the condition held: ${JSON.stringify(events)}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        this.#waiters.add(done);
        const waiters = this.#waiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
      });
    }
  }

  /**
   * Waits for the server to end the stream by itself; fails (without hanging) if it does not within
   * the time. Locally a stream has no time limit, so ending at all is the server's doing.
   */
  async untilEnd(timeoutMs = DEADLINE_MS): Promise<JobEvent[]> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([this.finished.then(() => 'done' as const), timedOut]);
      if (outcome === 'timeout') {
        await this.abort();
        throw new Error(`stream did not end within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      }
    } finally {
      clearTimeout(timer);
    }
    expect(this.endedBy).toBe('eof');
    return this.events;
  }

  async #read(response: Response): Promise<void> {
    const body = response.body;
    if (!body) {
      this.endedBy = 'eof';
      return;
    }
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#buffer += decoder.decode(value, { stream: true });
        this.#parse();
      }
      this.#buffer += decoder.decode();
      this.#parse();
      this.endedBy = 'eof';
    } catch (error) {
      this.endedBy = this.#controller.signal.aborted ? 'abort' : 'error';
      if (this.endedBy === 'error') throw error;
    } finally {
      for (const wake of [...this.#waiters]) wake();
    }
  }

  #parse(): void {
    // Line ends may be CRLF, LF or CR; a CR at the very end may be the first half of a CRLF.
    const holdBack = this.#buffer.endsWith('\r') ? 1 : 0;
    const text = this.#buffer.slice(0, this.#buffer.length - holdBack).replace(/\r\n?/g, '\n');
    const blocks = text.split('\n\n');
    const rest = blocks.pop() ?? '';
    this.#buffer = rest + this.#buffer.slice(this.#buffer.length - holdBack);
    for (const block of blocks) this.#dispatch(block);
    if (blocks.length > 0) for (const wake of [...this.#waiters]) wake();
  }

  #dispatch(block: string): void {
    let id: string | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '') continue;
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    // A block of comments only is no event.
    if (id === undefined && event === undefined && data.length === 0) return;
    this.messages.push({ id, event: event ?? 'message', data: data.join('\n') });
  }
}

function toJobEvent(message: SseMessage): JobEvent {
  const parsed: unknown = JSON.parse(message.data);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`event data is not an object: ${message.data}`);
  return { id: Number(message.id), event: message.event, data: parsed as Record<string, unknown> };
}

type Opened = { kind: 'stream'; response: Response; stream: SseStream } | { kind: 'refused'; response: ApiResponse };

/** Opens a job's event stream; a response that is not an event stream is read whole, like the ApiClient does. */
async function openEvents(
  platform: TestPlatform,
  jobId: string,
  options: { lastEventId?: number | string; query?: string; key?: string | null } = {},
): Promise<Opened> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  const key = options.key === undefined ? platform.devApiKey : options.key;
  if (key !== null) headers['x-key'] = key;
  if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
  const url = new URL(`/v1/jobs/${encodeURIComponent(jobId)}/events${options.query ?? ''}`, platform.url);
  const response = await fetch(url, { headers, signal: controller.signal });
  if (response.status === 200 && (response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return { kind: 'stream', response, stream: new SseStream(response, controller) };
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { kind: 'refused', response: { status: response.status, headers: response.headers, body, text } };
}

async function streamOf(platform: TestPlatform, jobId: string, options: Parameters<typeof openEvents>[2] = {}): Promise<SseStream> {
  const opened = await openEvents(platform, jobId, options);
  if (opened.kind !== 'stream') throw new Error(`expected an event stream, got ${opened.response.status} ${opened.response.text}`);
  expect(opened.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return opened.stream;
}

/** The whole history of a finished job: a stream from the start replays it and ends by itself. */
async function fullHistory(platform: TestPlatform, jobId: string): Promise<JobEvent[]> {
  return (await streamOf(platform, jobId)).untilEnd();
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

/**
 * Events as compared across reads: a terminal event's signed sample URL is made when the event is
 * read (its expiry counts from then), so two reads a second apart sign it differently. The URL up
 * to its query must match; the expiry and signature are left out.
 */
function comparable(events: JobEvent[]): JobEvent[] {
  return JSON.parse(JSON.stringify(events).replace(/expires=\d+&signature=[\w-]+/g, 'expires=…&signature=…')) as JobEvent[];
}

async function until<T>(read: () => Promise<T>, holds: (value: T) => boolean, timeoutMs = DEADLINE_MS, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms: last ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

async function jobRow(platform: TestPlatform, jobId: string): Promise<{ status: string; progress: number | null; attempts: number; tenant_id: string }> {
  return withSql(platform.database.url, async (sql) => {
    const [row] = await sql<{ status: string; progress: number | null; attempts: number; tenant_id: string }[]>`
      SELECT status::text AS status, progress, attempts, tenant_id FROM jobs WHERE id = ${jobId}`;
    if (!row) throw new Error(`no job ${jobId}`);
    return row;
  });
}

async function lastEventIdOf(platform: TestPlatform, jobId: string): Promise<number> {
  return withSql(platform.database.url, async (sql) => {
    const [row] = await sql<{ id: string | null }[]>`SELECT max(id)::text AS id FROM job_events WHERE job_id = ${jobId}`;
    return Number(row?.id ?? 0);
  });
}

async function outputAssetsOf(platform: TestPlatform, jobId: string): Promise<number> {
  return withSql(platform.database.url, async (sql) => {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM assets WHERE producing_job_id = ${jobId}`;
    return row?.n ?? -1;
  });
}

async function filesUnder(directory: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function submitOk(platform: TestPlatform, json: Record<string, unknown>, headers?: Record<string, string>): Promise<ApiResponse<SubmitResponse & { status?: string; result?: GetResultResponse['result'] }>> {
  const response = await platform.api.submit(json, headers ? { headers } : {});
  expect(response.status, response.text).toBe(200);
  return response as ApiResponse<SubmitResponse & { status?: string; result?: GetResultResponse['result'] }>;
}

function cancel(platform: TestPlatform, jobId: string, key?: string): Promise<ApiResponse<GetResultResponse & { details: { reason?: string } | null }>> {
  return platform.api.request('POST', `/v1/jobs/${encodeURIComponent(jobId)}/cancel`, key ? { key } : {});
}

function statuses(events: JobEvent[]): unknown[] {
  return events.filter((event) => event.event === 'status').map((event) => event.data.status);
}

function progresses(events: JobEvent[]): number[] {
  return events.filter((event) => event.event === 'progress').map((event) => Number(event.data.progress));
}

function expectStrictlyIncreasingIds(events: JobEvent[]): void {
  for (const event of events) expect(Number.isInteger(event.id) && event.id > 0, `event id ${event.id}`).toBe(true);
  for (let i = 1; i < events.length; i++) expect(events[i]!.id).toBeGreaterThan(events[i - 1]!.id);
}

/** A job id of the right shape that no tenant has. */
const UNKNOWN_JOB_ID = `job_${'0'.repeat(26)}`;

// =============================================================================================
// A platform with two worker loops whose every sampling step takes 100 ms: a job of N steps runs
// for about N/10 seconds.

// Several waits per test, each with its own deadline.
describe('live status stream (SSE)', { timeout: 60_000 }, () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ workerLoops: 2, stepDelayMs: 100 });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('delivers queued -> running -> increasing progress -> succeeded, ids increasing, and then ends by itself', async () => {
    const submitted = await submitOk(platform, { prompt: 'a stream of events', steps: 6 });
    const jobId = submitted.body.id;
    const stream = await streamOf(platform, jobId);
    const events = await stream.untilEnd();

    expectStrictlyIncreasingIds(events);
    expect(events.every((event) => event.data.job_id === jobId)).toBe(true);
    expect(events.every((event) => event.event === 'status' || event.event === 'progress')).toBe(true);
    // Every event carries when it happened, in order.
    const times = events.map((event) => Date.parse(String(event.data.at)));
    expect(times.every((time) => Number.isFinite(time))).toBe(true);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);

    // The status events: queued, running, succeeded, and the first two come before any progress.
    expect(statuses(events)).toEqual(['queued', 'running', 'succeeded']);
    const status = events.filter((event) => event.event === 'status');
    expect(status.map((event) => event.data.bfl_status)).toEqual(['Pending', 'Pending', 'Ready']);
    expect(status.map((event) => event.data.attempt)).toEqual([0, 1, 1]);
    expect(events[0]!.event).toBe('status');
    expect(events[1]).toMatchObject({ event: 'status', data: { status: 'running' } });
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'succeeded', bfl_status: 'Ready' } });

    // Progress in between, strictly increasing within (0, 1].
    const progress = progresses(events);
    expect(progress.length).toBeGreaterThan(0);
    for (const value of progress) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
    const firstProgress = events.findIndex((event) => event.event === 'progress');
    expect(firstProgress).toBeGreaterThan(1);
    expect(events.slice(firstProgress, -1).every((event) => event.event === 'progress')).toBe(true);

    // The stream ended after the terminal event, and the job really is done.
    expect(stream.endedBy).toBe('eof');
    expect((await platform.api.getResult(jobId)).body.status).toBe('Ready');
    // The ids are the job's event ids: the last one is the job's newest event.
    expect(events.at(-1)!.id).toBe(await lastEventIdOf(platform, jobId));
  });

  it('a client that drops the connection and reconnects with Last-Event-ID misses nothing and sees nothing twice', async () => {
    const submitted = await submitOk(platform, { prompt: 'resume me', steps: 20 });
    const jobId = submitted.body.id;

    // Read until some progress arrives, then drop the connection mid-stream.
    const first = await streamOf(platform, jobId);
    await first.waitFor((events) => events.some((event) => event.event === 'progress'));
    await first.abort();
    expect(first.endedBy).toBe('abort');
    const seen = first.events;
    const lastSeen = seen.at(-1)!.id;

    // While disconnected, the job moves on (at least one event the client has not seen).
    await until(() => lastEventIdOf(platform, jobId), (id) => id > lastSeen, DEADLINE_MS, 'an event after the disconnect');

    const resumed = await streamOf(platform, jobId, { lastEventId: lastSeen });
    const rest = await resumed.untilEnd();
    expect(rest.length).toBeGreaterThan(0);
    expect(rest[0]!.id).toBeGreaterThan(lastSeen);
    expect(rest.at(-1)).toMatchObject({ event: 'status', data: { status: 'succeeded' } });

    // Seen + resumed is exactly the job's whole history: nothing repeated, nothing missing.
    const whole = await fullHistory(platform, jobId);
    expect(comparable([...seen, ...rest])).toEqual(comparable(whole));
    expect(new Set([...seen, ...rest].map((event) => event.id)).size).toBe(whole.length);
    expectStrictlyIncreasingIds(whole);
  });

  it('?last_event_id= resumes like the header; a stream of a finished job replays and ends at once', async () => {
    const submitted = await submitOk(platform, { prompt: 'finished already', steps: 4 });
    const jobId = submitted.body.id;
    expect((await platform.api.waitForResult(jobId)).status).toBe('Ready');

    // From the start: the whole history, ending by itself (a stream of a job still going never
    // ends by itself, so ending is what "finished" changes, not how fast).
    const whole = await fullHistory(platform, jobId);
    expect(statuses(whole)).toEqual(['queued', 'running', 'succeeded']);
    expect(whole.length).toBeGreaterThanOrEqual(4);

    // Resuming after the second event, by query and by header: the same rest of the history.
    const after = whole[1]!.id;
    const byQuery = await (await streamOf(platform, jobId, { query: `?last_event_id=${after}` })).untilEnd();
    const byHeader = await (await streamOf(platform, jobId, { lastEventId: after })).untilEnd();
    expect(comparable(byQuery)).toEqual(comparable(whole.slice(2)));
    expect(comparable(byHeader)).toEqual(comparable(byQuery));

    // Resuming after the last event of a finished job: nothing to replay, the stream just ends.
    const last = whole.at(-1)!.id;
    const nothingByQuery = await streamOf(platform, jobId, { query: `?last_event_id=${last}` });
    expect(await nothingByQuery.untilEnd()).toEqual([]);
    const nothingByHeader = await streamOf(platform, jobId, { lastEventId: last });
    expect(await nothingByHeader.untilEnd()).toEqual([]);
  });

  it('answers 404 problem+json, not a stream, for an unknown job and for another tenant\'s job', async () => {
    for (const id of [UNKNOWN_JOB_ID, 'not-a-job-id']) {
      const opened = await openEvents(platform, id);
      expect(opened.kind).toBe('refused');
      if (opened.kind === 'refused') {
        expect(opened.response.headers.get('content-type')).not.toMatch(/event-stream/);
        expectProblem(opened.response, 404);
      }
    }

    const other = await platform.createTenantWithKey({ name: 'Someone else' });
    const theirs = await other.api.submit({ prompt: 'not yours', steps: 2 });
    expect(theirs.status).toBe(200);
    const opened = await openEvents(platform, theirs.body.id);
    expect(opened.kind).toBe('refused');
    if (opened.kind === 'refused') {
      expect(opened.response.headers.get('content-type')).not.toMatch(/event-stream/);
      expectProblem(opened.response, 404);
    }
    // Its owner does get the stream.
    const own = await streamOf(platform, theirs.body.id, { key: other.key });
    expect(statuses(await own.untilEnd())).toEqual(['queued', 'running', 'succeeded']);
  });

  it('needs the jobs:read scope and a key', async () => {
    const writer = await platform.createTenantWithKey({ name: 'Write only', scopes: ['jobs:write'] });
    const submitted = await writer.api.submit({ prompt: 'write only', steps: 1 });
    expect(submitted.status).toBe(200);
    const forbidden = await openEvents(platform, submitted.body.id, { key: writer.key });
    expect(forbidden.kind).toBe('refused');
    if (forbidden.kind === 'refused') expect(expectProblem(forbidden.response, 403).required_scope).toBe('jobs:read');
    const anonymous = await openEvents(platform, submitted.body.id, { key: null });
    expect(anonymous.kind).toBe('refused');
    if (anonymous.kind === 'refused') expectProblem(anonymous.response, 401);
  });

  it('a finished job whose event history was purged still gets its terminal status, and the stream ends', async () => {
    const submitted = await submitOk(platform, { prompt: 'old news', steps: 1 });
    const jobId = submitted.body.id;
    expect((await platform.api.waitForResult(jobId)).status).toBe('Ready');
    const whole = await fullHistory(platform, jobId);
    await withSql(platform.database.url, (sql) => sql`DELETE FROM job_events WHERE job_id = ${jobId}`);

    const replay = await (await streamOf(platform, jobId)).untilEnd();
    expect(replay).toHaveLength(1);
    expect(replay[0]).toMatchObject({ event: 'status', data: { job_id: jobId, status: 'succeeded', bfl_status: 'Ready' } });
    // A client that had seen some of it resumes to nothing and the stream ends.
    const resumed = await (await streamOf(platform, jobId, { lastEventId: whole[1]!.id })).untilEnd();
    expect(resumed).toEqual([]);
  });
});

// =============================================================================================

// The default 30 s test timeout stays: it is shorter than the longest wait (60 s), which some tests
// rely on to show that a wait ended because the job did.
describe('Prefer: wait on submit', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ workerLoops: 2, stepDelayMs: 100 });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('a short job with Prefer: wait=60 answers Ready with a result whose sample downloads', async () => {
    // The longest wait, longer than this test's timeout: answering in time means answering when the
    // job ended, and Ready says it did.
    const response = await submitOk(platform, { prompt: 'quick one', steps: 2 }, { prefer: 'wait=60' });
    expect(response.headers.get('preference-applied')).toBe('wait=60');
    expect(response.body).toMatchObject({ id: expect.stringMatching(/^job_/), polling_url: expect.any(String), cost: expect.any(Number), status: 'Ready' });
    const result = response.body.result;
    expect(result).toMatchObject({ prompt: 'quick one', sample: expect.any(String) });
    const sample = await fetch(result!.sample!);
    expect(sample.status).toBe(200);
    expect(sample.headers.get('content-type')).toBe('image/png');
    expect((await sample.arrayBuffer()).byteLength).toBeGreaterThan(0);
    // get_result agrees.
    expect((await platform.api.getResult(response.body.id)).body.status).toBe('Ready');
  });

  it('a slow job with Prefer: wait=1 answers after about a second with status Pending and no result', async () => {
    const started = Date.now();
    const response = await submitOk(platform, { prompt: 'slow one', steps: 40 }, { prefer: 'wait=1' });
    const elapsed = Date.now() - started;
    try {
      // It waited (a lower bound only, which a slow machine can only exceed), and answered before
      // the job's 4 s of steps were over: Pending.
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(response.headers.get('preference-applied')).toBe('wait=1');
      expect(response.body.status).toBe('Pending');
      expect(response.body.result).toBeNull();
      expect('result' in response.body).toBe(true);
    } finally {
      await cancel(platform, response.body.id);
    }
  });

  it('a wait ends as soon as the job ends, whatever way: a cancel during Prefer: wait=60 answers at once with Error', async () => {
    // The wait asked for outlasts this test's timeout, so only the job's end can answer it in time.
    const answer = submitOk(platform, { prompt: 'canceled while waited on', steps: 50 }, { prefer: 'wait=60' });
    // The job is running (its id is the newest job of this prompt); cancel it while the submit is held.
    const jobId = await until(
      () =>
        withSql(platform.database.url, async (sql) => {
          const [row] = await sql<{ id: string }[]>`
            SELECT id FROM jobs WHERE prompt = 'canceled while waited on' AND status = 'running' AND progress > 0`;
          return row?.id;
        }),
      (id) => id !== undefined,
      DEADLINE_MS,
      'the waited-on job running',
    );
    const canceled = await cancel(platform, jobId!);
    expect(canceled.status, canceled.text).toBe(200);
    const response = await answer;
    expect(response.body.id).toBe(jobId);
    expect(response.headers.get('preference-applied')).toBe('wait=60');
    expect(response.body.status).toBe('Error');
    expect(response.body.result).toBeNull();
  }, 45_000);

  it('a key with only jobs:write that asks to wait still gets the id of the job it created', async () => {
    // The submit route needs jobs:write only. A job is created (and its credits reserved) before
    // the wait, so the answer must name it, whatever the wait then adds.
    const writer = await platform.createTenantWithKey({ name: 'Writes only', scopes: ['jobs:write'] });
    const response = await writer.api.submit({ prompt: 'write-only waiter', steps: 1 }, { headers: { prefer: 'wait=1' } });
    const created = await withSql(platform.database.url, (sql) => sql<{ id: string }[]>`SELECT id FROM jobs WHERE tenant_id = ${writer.tenantId}`);
    expect(created).toHaveLength(1);
    expect(response.status, response.text).toBe(200);
    expect(response.body.id).toBe(created[0]!.id);
  });

  it('Prefer: wait=600 is capped at 60', async () => {
    const response = await submitOk(platform, { prompt: 'capped', steps: 1 }, { prefer: 'wait=600' });
    expect(response.headers.get('preference-applied')).toBe('wait=60');
    expect(response.body.status).toBe('Ready');
  });

  it('without Prefer the answer is the plain submit response, with no status or result', async () => {
    const response = await submitOk(platform, { prompt: 'no waiting', steps: 1 });
    expect(response.headers.get('preference-applied')).toBeNull();
    expect(Object.keys(response.body).sort()).toEqual(['cost', 'id', 'input_mp', 'output_mp', 'polling_url']);
    await platform.api.waitForResult(response.body.id);
  });

  it('continuing an edit honours Prefer: wait too', async () => {
    // The longest wait, so that a slow machine cannot make the job outlast it.
    const parent = await submitOk(platform, { prompt: 'parent', steps: 1 }, { prefer: 'wait=60' });
    expect(parent.body.status).toBe('Ready');
    const edit = await platform.api.request<SubmitResponse & { status?: string; result?: GetResultResponse['result'] }>(
      'POST',
      `/v1/jobs/${parent.body.id}/edits`,
      { json: { prompt: 'child', steps: 1 }, headers: { prefer: 'wait=60' } },
    );
    expect(edit.status, edit.text).toBe(200);
    expect(edit.headers.get('preference-applied')).toBe('wait=60');
    expect(edit.body.status).toBe('Ready');
    expect(edit.body.result).toMatchObject({ prompt: 'child', sample: expect.any(String) });
  });
});

// =============================================================================================
// Cancel, with no built-in workers: each test runs its own agent (one loop) when it needs one.

describe('cancel', { timeout: 60_000 }, () => {
  let platform: TestPlatform;
  let workers: TestWorkers;

  beforeAll(async () => {
    platform = await startTestPlatform({ workerLoops: 0 });
    workers = new TestWorkers(platform.ctx);
  });

  afterEach(async () => {
    await workers.stopAll();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('a queued job is canceled at once, refunded, its stream ends with the canceled status, and it never runs', async () => {
    const submitted = await submitOk(platform, { prompt: 'never started', steps: 2 });
    const jobId = submitted.body.id;
    const tenantId = (await jobRow(platform, jobId)).tenant_id;
    const stream = await streamOf(platform, jobId);
    await stream.waitFor((events) => events.length >= 1);
    expect(stream.events).toMatchObject([{ event: 'status', data: { status: 'queued', bfl_status: 'Pending' } }]);

    const canceled = await cancel(platform, jobId);
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.body).toMatchObject({ id: jobId, status: 'Error', result: null, progress: null, details: { status: 'canceled' } });

    const events = await stream.untilEnd();
    expect(statuses(events)).toEqual(['queued', 'canceled']);
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'canceled', bfl_status: 'Error' } });
    expectStrictlyIncreasingIds(events);

    expect((await platform.api.getResult(jobId)).body).toMatchObject({ status: 'Error', details: { status: 'canceled' } });
    const money = await withSql(platform.database.url, (sql) => tenantMoney(sql, tenantId));
    expect(money.reserved).toBe(0);
    expect(money.activeJobs).toBe(0);

    // Canceling again: it has finished.
    const again = await cancel(platform, jobId);
    expect(expectProblem(again, 409).job_status).toBe('canceled');

    // A worker that starts later drops its message and runs the next job instead.
    workers.start(new PreviewEngine());
    const next = await submitOk(platform, { prompt: 'after the canceled one', steps: 1 });
    expect((await platform.api.waitForResult(next.body.id)).status).toBe('Ready');
    expect(await jobRow(platform, jobId)).toMatchObject({ status: 'canceled', attempts: 0 });
    expect(await outputAssetsOf(platform, jobId)).toBe(0);
  });

  it('a running job is canceled, its worker stops at the next step, stores nothing, and takes the next job', async () => {
    // One worker loop, 200 ms per step: this job would run for 10 s.
    const agent = workers.start(new PreviewEngine({ stepDelayMs: 200 }));
    const submitted = await submitOk(platform, { prompt: 'stop me', steps: 50 });
    const jobId = submitted.body.id;
    const stream = await streamOf(platform, jobId);
    await stream.waitFor((events) => progresses(events).length >= 2);

    const tenantId = (await jobRow(platform, jobId)).tenant_id;
    const canceled = await cancel(platform, jobId);
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.body).toMatchObject({ id: jobId, status: 'Error', result: null, details: { status: 'canceled' } });

    // The stream ends with the canceled status; no progress after it.
    const events = await stream.untilEnd();
    expect(statuses(events)).toEqual(['queued', 'running', 'canceled']);
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'canceled', bfl_status: 'Error' } });

    // The worker notices at its next progress write and abandons the job.
    await until(
      async () => platform.logs.some((line) => line.includes(jobId) && line.includes('job abandoned')),
      (found) => found,
      DEADLINE_MS,
      'the worker abandoning the canceled job',
    );
    // Nothing was recorded after the cancel: the progress stopped where the stream last saw it.
    const progressAtStop = (await jobRow(platform, jobId)).progress;
    expect(progressAtStop).not.toBeNull();
    expect(progressAtStop).toBe(progresses(events).at(-1));
    expect(progressAtStop!).toBeLessThan(1);

    // No output: no asset, no blob.
    expect(await outputAssetsOf(platform, jobId)).toBe(0);
    expect((await filesUnder(platform.blobDir)).filter((file) => file.includes(jobId))).toEqual([]);
    expect((await platform.api.getResult(jobId)).body).toMatchObject({ status: 'Error', result: null, details: { status: 'canceled' } });
    // Its reservation was refunded, its active slot released.
    expect(await withSql(platform.database.url, (sql) => jobLedger(sql, jobId))).toEqual(['reserve:-2', 'refund:2']);
    expect(await withSql(platform.database.url, (sql) => tenantMoney(sql, tenantId))).toMatchObject({ reserved: 0, activeJobs: 0 });

    // The same (only) worker takes the next job normally: it has let go of the canceled one, which
    // by then still has not advanced (the next job is the later event that any stray write of the
    // canceled job, from the same worker, would have come before).
    const next = await submitOk(platform, { prompt: 'next in line', steps: 2 });
    const result = await platform.api.waitForResult(next.body.id, { timeoutMs: DEADLINE_MS });
    expect(result.status).toBe('Ready');
    expect(platform.logs.some((line) => line.includes(next.body.id) && line.includes(agent.workerId) && line.includes('job succeeded'))).toBe(true);
    expect(await jobRow(platform, jobId)).toMatchObject({ status: 'canceled', progress: progressAtStop });
    expect(await lastEventIdOf(platform, jobId)).toBe(events.at(-1)!.id);
    expect(await outputAssetsOf(platform, jobId)).toBe(0);
  }, 60_000);

  it('a finished job cannot be canceled (409) and stays Ready', async () => {
    workers.start(new PreviewEngine());
    const submitted = await submitOk(platform, { prompt: 'done already', steps: 1 });
    expect((await platform.api.waitForResult(submitted.body.id)).status).toBe('Ready');
    const refused = await cancel(platform, submitted.body.id);
    expect(expectProblem(refused, 409).job_status).toBe('succeeded');
    expect((await platform.api.getResult(submitted.body.id)).body.status).toBe('Ready');
    expect(await outputAssetsOf(platform, submitted.body.id)).toBe(1);
  });

  it("another tenant's job (and an unknown one) is 404 and is left alone", async () => {
    const other = await platform.createTenantWithKey({ name: 'Other tenant' });
    const theirs = await other.api.submit({ prompt: 'mine, not yours', steps: 1 });
    expect(theirs.status).toBe(200);
    expectProblem(await cancel(platform, theirs.body.id), 404);
    expectProblem(await cancel(platform, UNKNOWN_JOB_ID), 404);
    expect((await jobRow(platform, theirs.body.id)).status).toBe('queued');
    // A key without jobs:write may not cancel at all.
    const reader = await platform.createTenantWithKey({ name: 'Read only', scopes: ['jobs:read'] });
    expect(expectProblem(await cancel(platform, theirs.body.id, reader.key), 403).required_scope).toBe('jobs:write');
    // Its owner may cancel it.
    const own = await cancel(platform, theirs.body.id, other.key);
    expect(own.status, own.text).toBe(200);
    expect(own.body.details).toMatchObject({ status: 'canceled' });
  });

  it('a key with only jobs:write can cancel its job (the route needs jobs:write) and is told so', async () => {
    const writer = await platform.createTenantWithKey({ name: 'Cancels only', scopes: ['jobs:write'] });
    const submitted = await writer.api.submit({ prompt: 'cancel me, write-only', steps: 1 });
    expect(submitted.status, submitted.text).toBe(200);
    const canceled = await cancel(platform, submitted.body.id, writer.key);
    // Whatever it answers, the cancel has happened...
    expect((await jobRow(platform, submitted.body.id)).status).toBe('canceled');
    // ...so it must not answer with an error.
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.body).toMatchObject({ id: submitted.body.id, status: 'Error', details: { status: 'canceled' } });
  });

  it('a long history (more than one read batch) streams whole and in order, and resumes in the middle of it', async () => {
    // No worker runs here, so the job stays queued; its history is made long by writing its
    // progress 150 times directly (each change is an event, by the database trigger).
    const submitted = await submitOk(platform, { prompt: 'long history', steps: 1 });
    const jobId = submitted.body.id;
    await withSql(platform.database.url, async (sql) => {
      for (let i = 1; i <= 150; i++) await sql`UPDATE jobs SET progress = ${i / 1000} WHERE id = ${jobId}`;
    });
    expect((await cancel(platform, jobId)).status).toBe(200);

    const whole = await fullHistory(platform, jobId);
    expect(whole).toHaveLength(152);
    expectStrictlyIncreasingIds(whole);
    expect(statuses(whole)).toEqual(['queued', 'canceled']);
    expect(progresses(whole)).toEqual(Array.from({ length: 150 }, (_, i) => (i + 1) / 1000));

    const resumed = await (await streamOf(platform, jobId, { lastEventId: whole[30]!.id })).untilEnd();
    expect(comparable(resumed)).toEqual(comparable(whole.slice(31)));
  });

  it('the stream of a job retried after a retryable engine error shows both attempts', async () => {
    workers.start(new ScriptedEngine((attempt) => (attempt === 1 ? new EngineError('engine restarting', true) : undefined)));
    const submitted = await submitOk(platform, { prompt: 'second time lucky', steps: 2 });
    const events = await (await streamOf(platform, submitted.body.id)).untilEnd();
    expectStrictlyIncreasingIds(events);
    const status = events.filter((event) => event.event === 'status');
    expect(status.map((event) => [event.data.status, event.data.attempt])).toEqual([
      ['queued', 0],
      ['running', 1],
      ['queued', 1],
      ['running', 2],
      ['succeeded', 2],
    ]);
  });

  it('the stream of a failed job ends with the failed status and its error', async () => {
    workers.start(new ScriptedEngine(() => new EngineError('CUDA out of memory at step 1', false)));
    const submitted = await submitOk(platform, { prompt: 'doomed', steps: 2 });
    const events = await (await streamOf(platform, submitted.body.id)).untilEnd();
    expect(statuses(events)).toEqual(['queued', 'running', 'failed']);
    expect(events.at(-1)).toMatchObject({
      event: 'status',
      data: { status: 'failed', bfl_status: 'Error', attempt: 1, error: 'CUDA out of memory at step 1' },
    });
  });

  it('a change committed while the stream is being opened still reaches it at once', async () => {
    // The stream reads the job's history and subscribes to its change notifications. A change
    // committed between the two (here: a cancel, its notification already dispatched by the time
    // the stream subscribes) must not be lost: the stream should deliver it and end right away,
    // not sit idle until its next keep-alive re-read 15 s later.
    const submitted = await submitOk(platform, { prompt: 'changed while the stream opens', steps: 1 });
    const jobId = submitted.body.id;
    const hub = platform.ctx.jobEvents;
    const subscribe = hub.subscribe.bind(hub);
    hub.subscribe = async (id, onChange) => {
      if (id !== jobId) return subscribe(id, onChange);
      let notified = false;
      const unprobe = await subscribe(id, () => {
        notified = true;
      });
      try {
        const canceled = await cancel(platform, jobId);
        expect(canceled.status, canceled.text).toBe(200);
        await until(async () => notified, (done) => done, DEADLINE_MS, 'the cancel notification');
      } finally {
        unprobe();
      }
      return subscribe(id, onChange);
    };
    try {
      const stream = await streamOf(platform, jobId);
      // Less than the 15 s keep-alive re-read, so only delivering the change itself ends it in time.
      const events = await stream.untilEnd(12_000);
      expect(statuses(events)).toEqual(['queued', 'canceled']);
    } finally {
      Reflect.deleteProperty(hub, 'subscribe');
    }
    expect(hub.subscribe).toBe(Object.getPrototypeOf(hub).subscribe);
  });
});
