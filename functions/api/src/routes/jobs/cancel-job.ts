import { GetResultResponseSchema } from '@kontext/core';
import { cancelJob } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { idParams } from '../id-params.ts';

export function registerCancelJob(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'post',
    operationId: 'cancelJob',
    path: '/v1/jobs/{id}/cancel',
    tags: ['Generate and edit'],
    summary: 'Cancel a job',
    description:
      'A queued job is canceled at once; a running one stops at its next step. Its reserved credits are refunded. Needs jobs:write.',
    request: { params: idParams(200) },
    responses: {
      200: { description: 'The job, now canceled.', content: { 'application/json': { schema: GetResultResponseSchema } } },
      404: problemResponseSpec('No such job for this tenant.'),
      409: problemResponseSpec('The job has already finished.'),
    },
  });
  app.openapi(route, async (c) => {
    const result = await cancelJob({ ctx: deps.ctx, input: { auth: c.get('auth'), jobId: c.req.valid('param').id } });
    return c.json(result, 200);
  });
}
