import { createRoute } from '@hono/zod-openapi';
import { ModelListSchema } from '@kontext/core';
import { listModels } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../env.ts';
import { requireApiKey } from '../middleware/require-api-key.ts';
import { API_KEY_SECURITY, COMMON_ERROR_RESPONSES } from '../openapi-responses.ts';

export function registerListModels(app: ApiApp, deps: ApiDependencies): void {
  const route = createRoute({
    method: 'get',
    path: '/v1/models',
    tags: ['Models'],
    summary: 'List the model catalog',
    description: 'Each profile with its endpoint, sampling defaults, price and the weights that serve it.',
    security: API_KEY_SECURITY,
    middleware: [requireApiKey(deps.ctx)],
    responses: {
      200: { description: 'The catalog.', content: { 'application/json': { schema: ModelListSchema } } },
      ...COMMON_ERROR_RESPONSES,
    },
  });
  app.openapi(route, (c) => c.json({ data: listModels({ ctx: deps.ctx }) }, 200));
}
