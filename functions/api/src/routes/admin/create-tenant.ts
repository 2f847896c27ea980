import { tenantRequestSchemasFor, TenantSchema } from '@kontext/core';
import { createTenant } from '@kontext/services';
import { linksById } from '../../openapi-responses.ts';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { adminRoute } from '../../route-kinds.ts';

export function registerCreateTenant(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'post',
    operationId: 'createTenant',
    path: '/admin/v1/tenants',
    summary: 'Create a tenant',
    description: 'With an opening credit balance (ledgered) and limits; unset limits take the defaults.',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: tenantRequestSchemasFor(deps.ctx.catalog).create } } } },
    responses: {
      201: {
        description: 'The tenant.',
        content: { 'application/json': { schema: TenantSchema } },
        links: linksById({ getTenant: 'path.id', updateTenant: 'path.id', adjustCredits: 'path.id', createTenantKey: 'path.id' }),
      },
    },
  });
  app.openapi(route, async (c) => c.json(await createTenant({ ctx: deps.ctx, input: c.req.valid('json') }), 201));
}
