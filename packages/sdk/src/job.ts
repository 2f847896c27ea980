import type { CallOptions } from './call-options.ts';
import { KontextApiError, KontextJobError, KontextNetworkError } from './errors.ts';
import { readEventStream, SseParser, type ServerSentEvent } from './events.ts';
import { abortReason, sleep } from './retry.ts';
import type { ContinueEditOptions } from './submit.ts';
import type { Transport } from './transport.ts';
import type {
  BflStatus,
  GetResultResponse,
  JobDetails,
  JobProgressEventData,
  JobStatus,
  JobStatusEventData,
  JobView,
  Lineage,
  Result,
  SubmitResponse,
} from './types.ts';

// A handle on one job: its record, its result, its live status. wait() follows the SSE stream
// (resuming with Last-Event-ID when it is cut), and polls get_result instead where streams do not
// work (a gateway that buffers them, a proxy that drops them), so it finishes either way.

export interface JobProgress {
  /** Share of sampling steps done, 0 to 1. */
  progress: number;
  status: JobStatus;
}

export interface WaitOptions extends CallOptions {
  /** Called on every status change and progress step (not again for one already reported). */
  onProgress?: (event: JobProgress) => void;
}

/** get_result's answer for a Ready job, plus a method that downloads the image. */
export interface JobResult {
  id: string;
  status: BflStatus;
  result: Result;
  progress: number | null;
  details?: JobDetails;
  /** The image: result.sample, downloaded (a fresh get_result first if the signed URL expired). */
  bytes(options?: CallOptions): Promise<Uint8Array>;
}

/** What a Job needs from its client, passed in so the two files do not import each other. */
export interface JobContext {
  transport: Transport;
  continueEdit(jobId: string, options: ContinueEditOptions): Promise<Job>;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'request_moderated', 'content_moderated', 'canceled']);
/** Refusals a stream answers exactly as a poll would: no point falling back to polling for them. */
const FINAL_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 410, 422]);
/** When the server gave no `retry:` hint. */
const DEFAULT_RECONNECT_MS = 500;
const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 5_000;

type StreamOutcome = 'finished' | 'poll';

function parseData<T>(event: ServerSentEvent): T | undefined {
  try {
    const value: unknown = JSON.parse(event.data);
    return typeof value === 'object' && value !== null ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Reports each (status, progress) pair once, so a replayed history or a poll that saw no change stays quiet. */
class ProgressReporter {
  readonly #onProgress: ((event: JobProgress) => void) | undefined;
  #last = '';
  status: JobStatus | undefined;
  progress = 0;

  constructor(onProgress: ((event: JobProgress) => void) | undefined) {
    this.#onProgress = onProgress;
  }

  report(status: JobStatus, progress: number): void {
    this.status = status;
    this.progress = progress;
    const key = `${status}:${progress}`;
    if (key === this.#last) return;
    this.#last = key;
    this.#onProgress?.({ progress, status });
  }
}

export class Job {
  readonly id: string;
  /** What the submit answered (cost, polling_url, …); absent for a handle made from an id. */
  readonly submitted?: SubmitResponse;
  readonly #context: JobContext;

  constructor(context: JobContext, id: string, submitted?: SubmitResponse) {
    this.#context = context;
    this.id = id;
    if (submitted !== undefined) this.submitted = submitted;
  }

  get #path(): string {
    return `/v1/jobs/${encodeURIComponent(this.id)}`;
  }

  /** The full record: parameters, inputs, output, timings, cost, place in its lineage. */
  get(options: CallOptions = {}): Promise<JobView> {
    return this.#context.transport.json<JobView>({ method: 'GET', path: this.#path, signal: options.signal });
  }

  /** get_result's answer, whatever the status (Pending included). */
  poll(options: CallOptions = {}): Promise<GetResultResponse> {
    return this.#context.transport.json<GetResultResponse>({ method: 'GET', path: '/v1/get_result', query: { id: this.id }, signal: options.signal });
  }

  /**
   * The result of a Ready job. A job that failed, was moderated or canceled throws KontextJobError;
   * so does one still queued or running (its `status` says which), since it has no result yet.
   */
  async result(options: CallOptions = {}): Promise<JobResult> {
    const answer = await this.poll(options);
    if (answer.status === 'Pending') {
      throw new KontextJobError({ jobId: this.id, status: answer.details?.status ?? 'queued', bflStatus: answer.status });
    }
    return this.#settle(answer);
  }

  /** Cancels the job (a running one stops at its next step; credits are refunded), then reads its record. */
  async cancel(options: CallOptions = {}): Promise<JobView> {
    await this.#context.transport.json<GetResultResponse>({ method: 'POST', path: `${this.#path}/cancel`, signal: options.signal });
    return this.get(options);
  }

  /** Ancestors back to the root, and every descendant as a tree. */
  lineage(options: CallOptions = {}): Promise<Lineage> {
    return this.#context.transport.json<Lineage>({ method: 'GET', path: `${this.#path}/lineage`, signal: options.signal });
  }

  /** A new edit of this job's output, inheriting its settings. */
  continueEdit(options: ContinueEditOptions): Promise<Job> {
    return this.#context.continueEdit(this.id, options);
  }

  /** Resolves when the job is Ready; throws KontextJobError when it failed, was moderated or canceled. */
  async wait(options: WaitOptions = {}): Promise<JobResult> {
    const { signal } = options;
    const reporter = new ProgressReporter(options.onProgress);
    const outcome = await this.#followStream(reporter, signal);
    if (outcome === 'finished') {
      const answer = await this.poll({ signal });
      if (answer.status !== 'Pending') return this.#settle(answer);
    }
    return this.#pollUntilDone(reporter, signal);
  }

  async #followStream(reporter: ProgressReporter, signal: AbortSignal | undefined): Promise<StreamOutcome> {
    let terminal = false;
    /** An exception from the caller's onProgress: it ends the wait, it is not a broken stream. */
    let callbackFailure: { error: unknown } | undefined;
    let reconnectMs = DEFAULT_RECONNECT_MS;
    let eventsOnConnection = 0;
    let connection: AbortController | undefined;
    const parser = new SseParser({
      onRetry: (milliseconds) => {
        reconnectMs = milliseconds;
      },
      onEvent: (event) => {
        if (terminal || callbackFailure) return;
        eventsOnConnection++;
        try {
          if (event.type === 'progress') {
            const data = parseData<JobProgressEventData>(event);
            if (data && typeof data.progress === 'number') reporter.report(reporter.status ?? 'running', data.progress);
          } else if (event.type === 'status') {
            const data = parseData<JobStatusEventData>(event);
            if (!data) return;
            if (TERMINAL.has(data.status)) terminal = true;
            reporter.report(data.status, data.status === 'succeeded' ? 1 : reporter.progress);
          }
        } catch (error) {
          callbackFailure = { error };
        }
        // The server ends the stream after the terminal event; no need to wait for it.
        if (terminal || callbackFailure) connection?.abort();
      },
    });

    for (;;) {
      // A listener added to an already aborted signal never runs: look first.
      if (signal?.aborted) throw abortReason(signal);
      connection = new AbortController();
      const linked = connection;
      const forwardAbort = () => linked.abort(signal ? abortReason(signal) : undefined);
      signal?.addEventListener('abort', forwardAbort, { once: true });
      eventsOnConnection = 0;
      try {
        let response: Response;
        try {
          response = await this.#context.transport.open({
            method: 'GET',
            path: `${this.#path}/events`,
            headers: { accept: 'text/event-stream', ...(parser.lastEventId !== '' ? { 'last-event-id': parser.lastEventId } : {}) },
            signal: linked.signal,
          });
        } catch (error) {
          if (signal?.aborted) throw abortReason(signal);
          // A stream that cannot be opened here may still be polled: a network path that breaks
          // long-lived responses, or a gateway that does not serve them.
          if (error instanceof KontextNetworkError) return 'poll';
          if (error instanceof KontextApiError && !FINAL_STATUSES.has(error.status)) return 'poll';
          throw error;
        }
        const type = response.headers.get('content-type') ?? '';
        if (!type.toLowerCase().startsWith('text/event-stream') || response.body === null) {
          await response.body?.cancel().catch(() => {});
          return 'poll';
        }
        try {
          await readEventStream(response.body, parser, linked.signal);
        } catch {
          // Our own abort (after the terminal event), the caller's, or a cut connection: all
          // decided below; a cut one is resumed from the parser's last event id.
        }
      } finally {
        signal?.removeEventListener('abort', forwardAbort);
      }
      if (callbackFailure) throw callbackFailure.error;
      if (terminal) return 'finished';
      if (signal?.aborted) throw abortReason(signal);
      // Cut before any event arrived (a gateway that buffers the stream and ends it at a time
      // limit, a proxy that drops it): reconnecting would do the same again, so poll instead.
      if (eventsOnConnection === 0) return 'poll';
      await sleep(reconnectMs, signal);
    }
  }

  async #pollUntilDone(reporter: ProgressReporter, signal: AbortSignal | undefined): Promise<JobResult> {
    for (let round = 0; ; round++) {
      const answer = await this.poll({ signal });
      if (answer.status !== 'Pending') return this.#settle(answer);
      reporter.report(answer.details?.status ?? 'queued', answer.progress ?? reporter.progress);
      await sleep(Math.min(POLL_MAX_MS, POLL_FIRST_MS * 1.5 ** round), signal);
    }
  }

  /** A finished job's answer as a result, or the error it ended in. */
  #settle(answer: GetResultResponse): JobResult {
    if (answer.status === 'Ready' && answer.result !== null) return this.#resultOf(answer, answer.result);
    const details = answer.details;
    throw new KontextJobError({
      jobId: this.id,
      status: details?.status ?? 'failed',
      bflStatus: answer.status,
      ...(details?.error !== undefined ? { error: details.error } : {}),
      ...(details?.reason !== undefined ? { reason: details.reason } : {}),
    });
  }

  #resultOf(answer: GetResultResponse, result: Result): JobResult {
    return {
      id: answer.id,
      status: answer.status,
      result,
      progress: answer.progress,
      ...(answer.details !== null ? { details: answer.details } : {}),
      bytes: (options: CallOptions = {}) => this.#download(result.sample, options),
    };
  }

  async #download(firstSample: string | null, options: CallOptions): Promise<Uint8Array> {
    const transport = this.#context.transport;
    let sample = firstSample;
    for (let refreshed = false; ; refreshed = true) {
      if (sample === null) {
        // No URL: retention deleted the image (or is deleting it). The asset route says which (410).
        const record = await this.get(options);
        if (!record.output) throw new KontextJobError({ jobId: this.id, status: record.status, bflStatus: record.bfl_status, reason: 'no output' });
        return transport.bytes({ method: 'GET', path: `/v1/assets/${encodeURIComponent(record.output.asset_id)}/content`, signal: options.signal });
      }
      const response = await transport.fetchExternal(sample, options.signal);
      if (response.ok) return new Uint8Array(await response.arrayBuffer());
      await response.body?.cancel().catch(() => {});
      if (refreshed) {
        throw new KontextApiError({
          status: response.status,
          type: 'about:blank',
          title: response.statusText || `HTTP ${response.status}`,
          detail: `downloading the result of ${this.id} failed with ${response.status}, also with a fresh URL`,
          problem: {},
        });
      }
      // Signed URLs expire (10 minutes by default): ask for a fresh one, once.
      sample = (await this.poll(options)).result?.sample ?? null;
    }
  }
}
