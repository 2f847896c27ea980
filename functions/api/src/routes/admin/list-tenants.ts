import { z } from '@hono/zod-openapi';
import { integerParameter, TenantListSchema, text } from '@kontext/core';
import { listTenants } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { adminRoute } from '../../route-kinds.ts';

const QuerySchema = z.object({
  after: text({ max: 100 }).optional().openapi({ param: { name: 'after', in: 'query' }, description: 'next_cursor of the previous page.' }),
  limit: integerParameter(1, 500).default(100).openapi({ param: { name: 'limit', in: 'query' } }),
});

export function registerListTenants(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'get',
    operationId: 'listTenants',
    path: '/admin/v1/tenants',
    summary: 'List tenants',
    request: { query: QuerySchema },
    responses: { 200: { description: 'A page of tenants.', content: { 'application/json': { schema: TenantListSchema } } } },
  });
  app.openapi(route, async (c) => {
    const { after, limit } = c.req.valid('query');
    return c.json(await listTenants({ ctx: deps.ctx, input: { after, limit } }), 200);
  });
}
