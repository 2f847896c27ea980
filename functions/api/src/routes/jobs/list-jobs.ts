import { JobListQuerySchema, JobListSchema } from '@kontext/core';
import { listJobs } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListJobs(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listJobs',
    path: '/v1/jobs',
    tags: ['Jobs and lineage'],
    summary: 'List jobs',
    description: 'Newest first, in pages (`cursor` = the previous `next_cursor`); filter by status, model, API key, time or lineage root. Needs jobs:read.',
    request: { query: JobListQuerySchema },
    responses: {
      200: { description: 'A page of jobs.', content: { 'application/json': { schema: JobListSchema } } },
      422: problemResponseSpec('A parameter is invalid.'),
    },
  });
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    const page = await listJobs({
      ctx: deps.ctx,
      input: {
        auth: c.get('auth'),
        limit: query.limit,
        cursor: query.cursor,
        status: query.status,
        model: query.model,
        createdAfter: query.created_after,
        createdBefore: query.created_before,
        root: query.root,
        apiKeyId: query.api_key_id,
      },
    });
    return c.json(page, 200);
  });
}
