import { text, UsageQuerySchema, UsageResponseSchema } from '@kontext/core';
import { getUsage } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { adminRoute } from '../../route-kinds.ts';

const QuerySchema = UsageQuerySchema.extend({
  tenant_id: text({ max: 100 }).optional().openapi({ param: { name: 'tenant_id', in: 'query' }, description: 'One tenant; default all.' }),
});

export function registerGetPlatformUsage(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'get',
    operationId: 'getPlatformUsage',
    path: '/admin/v1/usage',
    summary: 'Usage across tenants',
    description: 'The same series as GET /v1/usage, over every tenant or one.',
    request: { query: QuerySchema },
    responses: { 200: { description: 'The series.', content: { 'application/json': { schema: UsageResponseSchema } } } },
  });
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    const usage = await getUsage({
      ctx: deps.ctx,
      input: { tenantId: query.tenant_id ?? null, from: query.from, to: query.to, granularity: query.granularity, groupBy: query.group_by, mode: query.mode },
    });
    return c.json(usage, 200);
  });
}
