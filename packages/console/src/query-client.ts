import { QueryClient } from '@tanstack/react-query';
import { QUERY_STALE_MS, shouldRetry } from './lib/retry.ts';

/** Answers stay fresh for a minute; one retry of what may pass on a second try, none of a 4xx. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: QUERY_STALE_MS, retry: shouldRetry },
      mutations: { retry: false },
    },
  });
}
