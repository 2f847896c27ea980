import { infiniteQueryOptions, type QueryKey } from '@tanstack/react-query';
import type { ApiClient } from './client.ts';

// The API's cursor-paged lists (the ledger, the audit log, the delivery log): newest first, `limit`
// a page, the next page by the answer's `next_cursor` (null: that was the last).

/** GET `path` with the list's filters, a page at a time, under `queryKey` (the call). */
export const cursorPagesQuery = <Page extends { next_cursor: string | null }>(api: ApiClient, queryKey: QueryKey, path: string, filters: object, limit: number) =>
  infiniteQueryOptions({
    queryKey,
    queryFn: ({ signal, pageParam }) => api.get<Page>(path, { query: { ...filters, limit, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
