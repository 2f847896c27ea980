import { LineageResponseSchema } from '@kontext/core';
import { getLineage } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerGetLineage(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'getLineage',
    path: '/v1/jobs/{id}/lineage',
    tags: ['Jobs and lineage'],
    summary: "A job's lineage",
    description:
      'Its ancestors back to the first edit, and all its descendants as a tree (branches included); each node with prompt, ' +
      'status, output asset, reference edges and a thumbnail URL. Needs jobs:read.',
    request: { params: IdParamsSchema },
    responses: {
      200: { description: 'The lineage.', content: { 'application/json': { schema: LineageResponseSchema } } },
      404: problemResponseSpec('No such job for this tenant.'),
    },
  });
  app.openapi(route, async (c) => c.json(await getLineage({ ctx: deps.ctx, input: { auth: c.get('auth'), jobId: c.req.valid('param').id } }), 200));
}
