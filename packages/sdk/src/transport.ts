import { KontextApiError, KontextError, KontextNetworkError } from './errors.ts';
import { abortReason, DEFAULT_BACKOFF, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs, sleep, type BackoffPolicy } from './retry.ts';
import type { ProblemIssue } from './types.ts';

// Every request the SDK makes goes through here: the base URL, the key header, retries with
// backoff (429, 503, network errors), one Idempotency-Key per POST call reused on its retries,
// abort signals, and turning error answers into KontextApiError. The key is held privately and
// scrubbed from anything the server sends back, so no error or log line can carry it.

export type FetchFunction = typeof fetch;

export type QueryValue = string | number | boolean | null | undefined;

export interface TransportOptions {
  apiKey: string;
  baseUrl: string;
  fetch: FetchFunction;
  maxRetries: number;
  userAgent?: string;
  backoff?: BackoffPolicy;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue> | undefined;
  /** A JSON body. */
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** POST only: the key this call's attempts share; one is generated when absent. */
  idempotencyKey?: string | undefined;
}

const RETRYABLE_STATUSES = new Set([429, 503]);
const SDK_VERSION = '0.1.0';

/** A fresh Idempotency-Key: random, printable ASCII, as the server requires. */
export function newIdempotencyKey(): string {
  const random: { randomUUID?: () => string } = globalThis.crypto;
  if (typeof random.randomUUID === 'function') return `sdk-${random.randomUUID()}`;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `sdk-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof Error && error.name === 'AbortError');
}

export class Transport {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: FetchFunction;
  readonly #maxRetries: number;
  readonly #userAgent: string | undefined;
  readonly #backoff: BackoffPolicy;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch;
    this.#maxRetries = Math.max(0, Math.floor(options.maxRetries));
    // Browsers refuse to set User-Agent (and a CORS preflight would have to allow it), so only
    // non-browser runtimes send one unless the caller chose it.
    const inBrowser = 'document' in globalThis;
    this.#userAgent = options.userAgent ?? (inBrowser ? undefined : `kontext-sdk/${SDK_VERSION}`);
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  get maxRetries(): number {
    return this.#maxRetries;
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** The request's answer as parsed JSON (undefined for an empty body, e.g. 204). */
  async json<T>(spec: RequestSpec): Promise<T> {
    return this.#send(spec, async (response) => {
      const text = await response.text();
      return (text === '' ? undefined : JSON.parse(text)) as T;
    });
  }

  /** The request's answer as bytes. */
  async bytes(spec: RequestSpec): Promise<Uint8Array> {
    return this.#send(spec, async (response) => new Uint8Array(await response.arrayBuffer()));
  }

  /**
   * The response itself, body unread (a stream): retried only until headers arrive, since a body
   * that breaks later is the reader's to resume.
   */
  async open(spec: RequestSpec): Promise<Response> {
    return this.#send(spec, async (response) => response);
  }

  /** A URL outside the API (a signed sample URL): plain fetch, never with the key, which must not leave the API's origin. */
  async fetchExternal(url: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.#fetch(url, { method: 'GET', ...(signal ? { signal } : {}) });
    } catch (error) {
      if (isAbort(error, signal)) throw signal ? abortReason(signal) : error;
      // The origin only: the rest of a signed URL is a credential for that image.
      throw new KontextNetworkError(`could not download from ${new URL(url).origin}: ${describe(error)}`, { cause: error });
    }
  }

  async #send<T>(spec: RequestSpec, read: (response: Response) => Promise<T>): Promise<T> {
    const url = this.url(spec.path, spec.query);
    const headers: Record<string, string> = { accept: 'application/json', ...spec.headers, 'x-key': this.#apiKey };
    if (this.#userAgent !== undefined) headers['user-agent'] = this.#userAgent;
    let body: string | undefined;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json';
    }
    // One key per call, not per attempt: a retry after a lost answer must replay, not run twice.
    if (spec.method === 'POST') headers['idempotency-key'] = spec.idempotencyKey ?? newIdempotencyKey();
    const signal = spec.signal;

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortReason(signal);
      const retriesLeft = attempt < this.#maxRetries;
      let response: Response;
      try {
        response = await this.#fetch(url, { method: spec.method, headers, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
      } catch (error) {
        if (isAbort(error, signal)) throw signal ? abortReason(signal) : error;
        if (!retriesLeft) throw this.#networkError(spec, attempt, error);
        await sleep(retryDelayMs(attempt, undefined, this.#backoff), signal);
        continue;
      }

      if (response.ok) {
        try {
          return await read(response);
        } catch (error) {
          // The answer broke off while being read: as good as never arrived.
          if (isAbort(error, signal)) throw signal ? abortReason(signal) : error;
          if (error instanceof SyntaxError) {
            throw new KontextError(`${spec.method} ${spec.path} answered ${response.status} with a body that is not JSON`, { cause: error });
          }
          if (!retriesLeft) throw this.#networkError(spec, attempt, error);
          await sleep(retryDelayMs(attempt, undefined, this.#backoff), signal);
          continue;
        }
      }

      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const error = this.#apiError(response, await readText(response), retryAfterMs);
      const retryable = RETRYABLE_STATUSES.has(response.status) || isStillRunning(spec, attempt, error);
      if (retryable && retriesLeft && (retryAfterMs === undefined || retryAfterMs <= MAX_RETRY_AFTER_MS)) {
        await sleep(retryDelayMs(attempt, retryAfterMs, this.#backoff), signal);
        continue;
      }
      throw error;
    }
  }

  #networkError(spec: RequestSpec, attempt: number, cause: unknown): KontextNetworkError {
    const tries = attempt + 1;
    return new KontextNetworkError(
      `${spec.method} ${spec.path} could not reach ${new URL(this.baseUrl).origin} (${tries} ${tries === 1 ? 'attempt' : 'attempts'}): ${this.#redact(describe(cause))}`,
      { cause },
    );
  }

  /** The key can only reach a message if the server echoed it; this takes it out again. */
  #redact(text: string): string {
    return this.#apiKey.length > 0 && text.includes(this.#apiKey) ? text.replaceAll(this.#apiKey, '[redacted]') : text;
  }

  #apiError(response: Response, received: string, retryAfterMs: number | undefined): KontextApiError {
    const text = this.#redact(received);
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const problem: Record<string, unknown> = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    const string = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
    const type = string(problem.type) ?? 'about:blank';
    const issues = Array.isArray(problem.errors) ? problem.errors.filter(isIssue) : undefined;
    const headerRetryAfter = retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000);
    const bodyRetryAfter = typeof problem.retry_after_seconds === 'number' ? problem.retry_after_seconds : undefined;
    const retryAfterSeconds = headerRetryAfter ?? bodyRetryAfter;
    const requestId = string(problem.request_id) ?? string(response.headers.get('x-request-id'));
    const code = string(problem.code) ?? (type.startsWith('urn:kontext:problem:') ? type.slice('urn:kontext:problem:'.length).replaceAll('-', '_') : undefined);
    return new KontextApiError({
      status: response.status,
      type,
      title: string(problem.title) ?? (response.statusText || `HTTP ${response.status}`),
      // BFL's own bodies (get_result's "Task not found") carry a status string instead of a detail.
      detail: string(problem.detail) ?? string(problem.message) ?? string(problem.status) ?? (text.slice(0, 500) || `HTTP ${response.status}`),
      problem,
      ...(code !== undefined ? { code } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
      ...(issues !== undefined ? { issues } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  }
}

/** An error body; one that broke off while being read is empty, and the status still says what happened. */
async function readText(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}

/**
 * A 409 on a retried POST, saying the Idempotency-Key is still held: the first attempt (whose
 * answer was lost) is still running on the server. Waiting lets it finish, and the next attempt
 * gets its stored answer. Other 409s (a finished job) are final.
 */
function isStillRunning(spec: RequestSpec, attempt: number, error: KontextApiError): boolean {
  return spec.method === 'POST' && attempt > 0 && error.status === 409 && error.detail.includes('Idempotency-Key');
}

function isIssue(value: unknown): value is ProblemIssue {
  return typeof value === 'object' && value !== null && typeof (value as ProblemIssue).field === 'string' && typeof (value as ProblemIssue).message === 'string';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
