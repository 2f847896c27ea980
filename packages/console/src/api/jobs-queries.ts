import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { jobsApiQuery } from '../lib/jobs-view.ts';
import type { JobsSearch } from '../lib/jobs-search.ts';
import type { ApiClient } from './client.ts';
import type { LedgerPage, Lineage, ModelList, WebhookDeliveryList } from './jobs-types.ts';
import type { JobList } from './types.ts';

// The Jobs log's and a job page's reads, keyed by the call (the job itself: job-query.ts).

export { jobQuery } from './job-query.ts';

const path = (jobId: string, rest = '') => `/v1/jobs/${encodeURIComponent(jobId)}${rest}`;

/** GET /v1/jobs for the URL's filters, page after page by cursor. */
export const jobsListQuery = (api: ApiClient, search: JobsSearch) =>
  infiniteQueryOptions({
    queryKey: ['jobs', 'list', search],
    queryFn: ({ pageParam, signal }) => api.get<JobList>('/v1/jobs', { query: jobsApiQuery(search, pageParam), signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
  });

export const jobLineageQuery = (api: ApiClient, jobId: string) =>
  queryOptions({ queryKey: ['job', jobId, 'lineage'], queryFn: ({ signal }) => api.get<Lineage>(path(jobId, '/lineage'), { signal }) });

/** The ledger entries of one job (a job has a handful: reserve, then settle or refund). */
export const jobLedgerQuery = (api: ApiClient, jobId: string) =>
  queryOptions({
    queryKey: ['credits', 'ledger', { job_id: jobId }],
    queryFn: ({ signal }) => api.get<LedgerPage>('/v1/credits/ledger', { query: { job_id: jobId, limit: 200 }, signal }),
  });

export const jobDeliveriesQuery = (api: ApiClient, jobId: string) =>
  queryOptions({
    queryKey: ['webhooks', 'deliveries', { job_id: jobId }],
    queryFn: ({ signal }) => api.get<WebhookDeliveryList>('/v1/webhooks/deliveries', { query: { job_id: jobId, limit: 100 }, signal }),
  });

export const modelsQuery = (api: ApiClient) =>
  queryOptions({ queryKey: ['models'], queryFn: ({ signal }) => api.get<ModelList>('/v1/models', { signal }), staleTime: 10 * 60_000 });
