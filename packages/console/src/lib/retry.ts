import { isApiError } from '../api/client.ts';

// The query client's policy: one retry of what may pass on a second try (network errors, 5xx,
// 429), none of a 4xx answer, which the same request gets again.

export const QUERY_STALE_MS = 60_000;
export const QUERY_RETRIES = 1;

export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= QUERY_RETRIES) return false;
  if (isApiError(error) && error.status >= 400 && error.status < 500 && error.status !== 429) return false;
  return true;
}
