import { TenantSchema } from '@kontext/core';
import { getTenant } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { adminRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerGetTenant(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'get',
    operationId: 'getTenant',
    path: '/admin/v1/tenants/{id}',
    summary: 'Get a tenant',
    request: { params: IdParamsSchema },
    responses: { 200: { description: 'The tenant.', content: { 'application/json': { schema: TenantSchema } } } },
  });
  app.openapi(route, async (c) => c.json(await getTenant({ ctx: deps.ctx, input: { tenantId: c.req.valid('param').id } }), 200));
}
