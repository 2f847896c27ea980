// When to try again and how long to wait: exponential backoff with jitter, capped, unless the
// server said how long (Retry-After), which always wins, since it knows when it will take the request.

export interface BackoffPolicy {
  /** The first delay before jitter. */
  baseDelayMs: number;
  /** No computed delay exceeds this, however many attempts came before. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: 500, maxDelayMs: 8_000 };

/**
 * A server asking for more than this is not retried: the error goes back to the caller with
 * `retryAfterSeconds`, rather than a call that silently hangs for minutes.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The delay before retry number `attempt` (0 for the first retry): half of the exponential step
 * fixed and half random ("equal jitter"), so delays still grow while clients spread out.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110). A date in the
 * past is 0; anything unreadable is undefined (then backoff decides).
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // HTTP dates start with the day's name; anything else Date.parse might accept ("-1") is not one.
  if (!/^[A-Za-z]/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The wait before a retry: what the server asked for (never less), else backoff. */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return retryAfterMs !== undefined ? retryAfterMs : backoffDelayMs(attempt, policy);
}

/** The reason an aborted signal carries, as something throwable. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
