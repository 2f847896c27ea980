import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { notFound, rootRouteId } from '@tanstack/react-router';
import { isApiError, type ApiClient } from './client.ts';
import type { JobView } from './jobs-types.ts';

// One job (GET /v1/jobs/{id}) and the job page's loader: a module of its own, small, because the
// router (in the first bundle) needs the loader; the rest of the Jobs pages' reads load with them.

export const jobQuery = (api: ApiClient, jobId: string) =>
  queryOptions({ queryKey: ['job', jobId], queryFn: ({ signal }) => api.get<JobView>(`/v1/jobs/${encodeURIComponent(jobId)}`, { signal }) });

/**
 * The job page's loader: the job, or the console's not-found page when the API has no such job
 * for this tenant (another tenant's id reads exactly like an unknown one: 404).
 */
export async function loadJob(context: { queryClient: QueryClient; api: ApiClient }, jobId: string): Promise<void> {
  try {
    await context.queryClient.ensureQueryData(jobQuery(context.api, jobId));
  } catch (error) {
    if (isApiError(error, 404)) throw notFound({ routeId: rootRouteId });
    throw error;
  }
}
