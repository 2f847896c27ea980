import { tenantRequestSchemasFor, TenantSchema } from '@kontext/core';
import { updateTenantLimits } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { adminRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerUpdateTenant(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'patch',
    operationId: 'updateTenant',
    path: '/admin/v1/tenants/{id}',
    summary: "Change a tenant's limits",
    description: 'Active jobs, requests per minute per key, allowed models, retention days. Keys pick up changes within 5 seconds.',
    middleware: [requireJson],
    request: { params: IdParamsSchema, body: { required: true, content: { 'application/json': { schema: tenantRequestSchemasFor(deps.ctx.catalog).update } } } },
    responses: { 200: { description: 'The tenant.', content: { 'application/json': { schema: TenantSchema } } } },
  });
  app.openapi(route, async (c) => {
    const tenant = await updateTenantLimits({ ctx: deps.ctx, input: { tenantId: c.req.valid('param').id, limits: c.req.valid('json').limits } });
    return c.json(tenant, 200);
  });
}
