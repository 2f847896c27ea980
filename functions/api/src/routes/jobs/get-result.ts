import { z } from '@hono/zod-openapi';
import { GetResultResponseSchema, text } from '@kontext/core';
import { getJobResult } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';

// GET /v1/get_result?id=: BFL's polling endpoint. An unknown id (or another tenant's) answers 404
// with BFL's body, status "Task not found", because BFL clients branch on that string.

const QuerySchema = z.object({
  id: text({ min: 1, max: 200 }).openapi({ param: { name: 'id', in: 'query' }, example: 'job_01JD3M5X0000000000000000' }),
});

export function registerGetResult(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'getResult',
    path: '/v1/get_result',
    tags: ['Generate and edit'],
    summary: 'Poll a job',
    description:
      'Status, progress and, when Ready, the result with a signed sample URL that expires. Poll again for a fresh URL. Needs jobs:read.',
    request: { query: QuerySchema },
    responses: {
      200: { description: 'The job.', content: { 'application/json': { schema: GetResultResponseSchema } } },
      404: { description: "No such job for this key's tenant.", content: { 'application/json': { schema: GetResultResponseSchema } } },
      422: problemResponseSpec('The id parameter is missing or invalid.'),
    },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('query');
    const result = await getJobResult({ ctx: deps.ctx, input: { auth: c.get('auth'), jobId: id } });
    if (!result) return c.json({ id, status: 'Task not found' as const, result: null, progress: null, details: null }, 404);
    return c.json(result, 200);
  });
}
