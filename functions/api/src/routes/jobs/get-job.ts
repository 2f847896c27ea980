import { JobRecordSchema } from '@kontext/core';
import { getJob } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerGetJob(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'getJob',
    path: '/v1/jobs/{id}',
    tags: ['Jobs and lineage'],
    summary: 'Get a job',
    description: 'The full record: parameters, inputs with their roles, output, engine, timings, cost and place in its lineage. Needs jobs:read.',
    request: { params: IdParamsSchema },
    responses: {
      200: { description: 'The job.', content: { 'application/json': { schema: JobRecordSchema } } },
      404: problemResponseSpec('No such job for this tenant.'),
    },
  });
  app.openapi(route, async (c) => c.json(await getJob({ ctx: deps.ctx, input: { auth: c.get('auth'), jobId: c.req.valid('param').id } }), 200));
}
