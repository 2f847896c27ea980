import { ModelListSchema } from '@kontext/core';
import { listModels } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListModels(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listModels',
    path: '/v1/models',
    tags: ['Models'],
    summary: 'List the model catalog',
    description: 'Each profile this account may use, with its endpoint, sampling defaults, price and the weights that serve it.',
    responses: { 200: { description: 'The catalog.', content: { 'application/json': { schema: ModelListSchema } } } },
  });
  app.openapi(route, (c) => {
    return c.json({ data: listModels({ ctx: deps.ctx, input: { auth: c.get('auth') } }) }, 200);
  });
}
