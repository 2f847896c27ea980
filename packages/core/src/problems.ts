// Errors are data: every failure a caller can cause or observe is a Problem with a kind that maps
// to one HTTP status and one RFC 9457 `type`. Internal code throws ProblemError; the HTTP edge
// renders it as application/problem+json with the request id.

export const PROBLEM_KINDS = {
  malformed_request: { status: 400, title: 'Malformed request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  insufficient_credits: { status: 402, title: 'Insufficient credits' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  gone: { status: 410, title: 'Gone' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  validation_failed: { status: 422, title: 'Validation failed' },
  invalid_input_image: { status: 422, title: 'Invalid input image' },
  rate_limited: { status: 429, title: 'Too many requests' },
  active_jobs_limit: { status: 429, title: 'Too many active jobs' },
  /** The client closed the connection before the request was carried out (nginx's 499); nobody reads it. */
  abandoned: { status: 499, title: 'Client closed request' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

/** One failing field of a request, named by its path in the request (`input_image_2`, `seed`). */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface ProblemOptions {
  issues?: FieldIssue[];
  /** Extra members rendered into the problem document (limits, values): what the caller needs to fix it. */
  extensions?: Record<string, string | number | boolean | null>;
  /** Whether retrying the same operation later may succeed; used by workers and queues. */
  retryable?: boolean;
  cause?: unknown;
}

export class ProblemError extends Error {
  readonly kind: ProblemKind;
  readonly detail: string;
  readonly issues: FieldIssue[];
  readonly extensions: Record<string, string | number | boolean | null>;
  readonly retryable: boolean;

  constructor(kind: ProblemKind, detail: string, options: ProblemOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProblemError';
    this.kind = kind;
    this.detail = detail;
    this.issues = options.issues ?? [];
    this.extensions = options.extensions ?? {};
    this.retryable = options.retryable ?? (kind === 'unavailable' || kind === 'rate_limited' || kind === 'active_jobs_limit');
  }

  get status(): number {
    return PROBLEM_KINDS[this.kind].status;
  }
}

export function problemType(kind: ProblemKind): string {
  return `urn:kontext:problem:${kind.replaceAll('_', '-')}`;
}

/** A 422 naming one field. */
export function fieldProblem(field: string, message: string, kind: ProblemKind = 'validation_failed'): ProblemError {
  return new ProblemError(kind, `${field}: ${message}`, { issues: [{ field, message }] });
}

export function isProblemError(value: unknown): value is ProblemError {
  return value instanceof ProblemError;
}
