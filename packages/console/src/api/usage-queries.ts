import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import type { ApiClient } from './client.ts';
import { jobsQuery, usageQuery } from './queries.ts';
import type { UsageQuery } from './types.ts';

// The Usage page's reads: the same calls (and keys) as queries.ts, so the overview's answers and
// these share the cache.

/** GET /v1/usage; while another view loads, the last one stays on screen (marked as updating). */
export const usageViewQuery = (api: ApiClient, query: UsageQuery) => queryOptions({ ...usageQuery(api, query), placeholderData: keepPreviousData });

/** Whether the tenant ever had a job: its newest one, if any ("nothing yet" vs "nothing matches"). */
export const newestJobQuery = (api: ApiClient) => jobsQuery(api, { limit: 1 });
