import type { Problem } from './types.ts';

// The one way the console talks to the platform: its /v1 routes on this origin, with the session
// cookie (credentials: 'same-origin'), and the session's CSRF token on every write. The token is
// kept in memory only (never in storage or a cookie): it comes with every Session answer.

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An error answer of the API, with its problem document when it sent one. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly problem: Problem | null;
  readonly requestId: string | null;
  /** Seconds from Retry-After, when the answer carried one. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, problem: Problem | null, requestId: string | null, retryAfterSeconds: number | null) {
    super(problem?.detail ?? `the server answered ${status}`);
    this.status = status;
    this.problem = problem;
    this.requestId = requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The first field the server named at fault, if any. */
  get field(): string | null {
    return this.problem?.errors?.[0]?.field ?? null;
  }
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
  /**
   * false for the routes that need no credential (sign-in, invitations, password reset): their
   * 401 is an answer (a wrong password), not a lapsed session.
   */
  authenticated?: boolean;
}

export interface ApiClient {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<T>;
  /** Remembers the CSRF token of a Session answer (sign-in, switch, password change). */
  rememberCsrfToken(token: string | null): void;
}

export interface ApiClientOptions {
  fetch?: typeof fetch;
  /** Called on a 401 of an authenticated request: the session is missing or has expired. */
  onUnauthorized?: () => void;
  /** Fetches a CSRF token when a write comes before any Session answer (GET /v1/session). */
  loadCsrfToken?: () => Promise<string | null>;
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  let csrfToken: string | null = null;

  async function request<T>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<T> {
    const authenticated = requestOptions.authenticated ?? true;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (requestOptions.body !== undefined) headers['content-type'] = 'application/json';
    if (WRITE_METHODS.has(method) && authenticated) {
      if (csrfToken === null && options.loadCsrfToken) csrfToken = await options.loadCsrfToken();
      if (csrfToken !== null) headers['x-csrf-token'] = csrfToken;
    }
    const response = await fetcher(pathWithQuery(path, requestOptions.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(requestOptions.body !== undefined ? { body: JSON.stringify(requestOptions.body) } : {}),
      ...(requestOptions.signal ? { signal: requestOptions.signal } : {}),
    });
    if (!response.ok) {
      const error = await apiErrorOf(response);
      if (error.status === 401 && authenticated) {
        csrfToken = null;
        options.onUnauthorized?.();
      }
      throw error;
    }
    // 204, and a 202 without a body (a password reset), answer nothing; a 202 with JSON (a queued webhook delivery) answers it.
    if (response.status === 204 || (response.status === 202 && !(response.headers.get('content-type') ?? '').includes('json'))) {
      await response.body?.cancel();
      return undefined as T;
    }
    return (await response.json()) as T;
  }

  return {
    request,
    get: (path, getOptions) => request('GET', path, getOptions),
    rememberCsrfToken: (token) => {
      csrfToken = token;
    },
  };
}

/** `/v1/usage` plus the query's set values, in the given order. */
export function pathWithQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null) params.append(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function apiErrorOf(response: Response): Promise<ApiError> {
  let problem: Problem | null = null;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body: unknown = await response.json();
      if (body && typeof body === 'object' && typeof (body as { detail?: unknown }).detail === 'string') problem = body as Problem;
    } catch {
      // not JSON after all: the status line says enough
    }
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiError(
    response.status,
    problem,
    problem?.request_id ?? response.headers.get('x-request-id'),
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  );
}
