import { queryOptions } from '@tanstack/react-query';
import type { ApiClient } from './client.ts';
import type { ApiKey, ApiKeyList, CreateApiKeyRequest, CreatedApiKey, Credits, JobList, RotatedApiKey, Usage, UsageQuery } from './types.ts';

// The tenant routes the pages read and write, keyed by the call: the query cache is the only
// store of server state.

export const creditsQuery = (api: ApiClient) =>
  queryOptions({ queryKey: ['credits'], queryFn: ({ signal }) => api.get<Credits>('/v1/credits', { signal }) });

export const usageQuery = (api: ApiClient, query: UsageQuery) =>
  queryOptions({ queryKey: ['usage', query], queryFn: ({ signal }) => api.get<Usage>('/v1/usage', { query, signal }) });

export const jobsQuery = (api: ApiClient, query: { status?: string; limit?: number }) =>
  queryOptions({ queryKey: ['jobs', query], queryFn: ({ signal }) => api.get<JobList>('/v1/jobs', { query, signal }) });

export const KEYS_KEY = ['keys'] as const;

export const keysQuery = (api: ApiClient) =>
  queryOptions({ queryKey: KEYS_KEY, queryFn: ({ signal }) => api.get<ApiKeyList>('/v1/keys', { signal }) });

export const createKey = (api: ApiClient, body: CreateApiKeyRequest) => api.request<CreatedApiKey>('POST', '/v1/keys', { body });

export const rotateKey = (api: ApiClient, id: string, graceSeconds: number) =>
  api.request<RotatedApiKey>('POST', `/v1/keys/${encodeURIComponent(id)}/rotate`, { body: { grace_seconds: graceSeconds } });

export const revokeKey = (api: ApiClient, id: string) => api.request<ApiKey>('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
