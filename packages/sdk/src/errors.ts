import type { BflStatus, JobStatus, ProblemIssue } from './types.ts';

// Every failure the SDK reports is one of these. None of them ever holds the API key: the key
// lives only inside the transport, and server text that echoes it is redacted before it gets here.

export class KontextError extends Error {
  override name = 'KontextError';
}

export interface KontextApiErrorInit {
  status: number;
  type: string;
  title: string;
  detail: string;
  code?: string;
  requestId?: string;
  issues?: ProblemIssue[];
  retryAfterSeconds?: number;
  problem: Record<string, unknown>;
}

/** The API answered with an error (after any retries): the problem+json document, typed. */
export class KontextApiError extends KontextError {
  override name = 'KontextApiError';
  readonly status: number;
  /** The problem's `type` URI (`urn:kontext:problem:validation-failed`, …). */
  readonly type: string;
  readonly title: string;
  /** What went wrong, in the server's words. */
  readonly detail: string;
  /** The problem kind (`validation_failed`, `rate_limited`, …), from the problem's type. */
  readonly code?: string;
  readonly requestId?: string;
  /** The first field at fault, when the server named one. */
  readonly field?: string;
  readonly issues?: ProblemIssue[];
  /** From Retry-After, when the answer carried one. */
  readonly retryAfterSeconds?: number;
  /** The whole problem document as received (limits, balances and other members included). */
  readonly problem: Record<string, unknown>;

  constructor(init: KontextApiErrorInit) {
    super(`${init.status} ${init.title}: ${init.detail}${init.requestId ? ` (request ${init.requestId})` : ''}`);
    this.status = init.status;
    this.type = init.type;
    this.title = init.title;
    this.detail = init.detail;
    if (init.code !== undefined) this.code = init.code;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.issues !== undefined && init.issues.length > 0) {
      this.issues = init.issues;
      this.field = init.issues[0]?.field;
    }
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
    this.problem = init.problem;
  }
}

/** The server could not be reached, or the connection failed, on every attempt. */
export class KontextNetworkError extends KontextError {
  override name = 'KontextNetworkError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

export interface KontextJobErrorInit {
  jobId: string;
  status: JobStatus;
  bflStatus: BflStatus;
  error?: string;
  reason?: string;
}

/** A job did not succeed (failed, moderated or canceled), or has no result yet. */
export class KontextJobError extends KontextError {
  override name = 'KontextJobError';
  readonly jobId: string;
  /** The platform's status of the job (`failed`, `canceled`, `request_moderated`, …). */
  readonly status: JobStatus;
  /** BFL's status of the job (`Error`, `Request Moderated`, …). */
  readonly bflStatus: BflStatus;
  /** Why it failed, when the server said. */
  readonly error?: string;
  /** The machine-readable reason of an `Error` status (`canceled`). */
  readonly reason?: string;

  constructor(init: KontextJobErrorInit) {
    const why = init.error ?? init.reason;
    super(`job ${init.jobId} ${init.status}${why ? `: ${why}` : ''}`);
    this.jobId = init.jobId;
    this.status = init.status;
    this.bflStatus = init.bflStatus;
    if (init.error !== undefined) this.error = init.error;
    if (init.reason !== undefined) this.reason = init.reason;
  }
}

/**
 * An input refused before any request was made. `message` is the refusal itself in the server's
 * words (`is not a PNG, JPEG or WebP image`); `detail` puts the field in front as the server's
 * problem detail would: `input_image is not a PNG, JPEG or WebP image` for an image (the server
 * writes image refusals so), `references: has 4 images; …` for any other field.
 */
export class KontextInputError extends KontextError {
  override name = 'KontextInputError';
  readonly field?: string;
  readonly detail: string;

  constructor(message: string, options: { field?: string; detail?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.field !== undefined) this.field = options.field;
    this.detail = options.detail ?? (options.field === undefined ? message : `${options.field}: ${message}`);
  }
}

/** A webhook delivery failed verification: missing headers, a stale timestamp or no matching signature. */
export class KontextWebhookError extends KontextError {
  override name = 'KontextWebhookError';
}
