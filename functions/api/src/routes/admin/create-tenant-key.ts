import { CreateApiKeyRequestSchema, CreatedApiKeySchema } from '@kontext/core';
import { issueApiKey } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requestOrigin } from '../../request-origin.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { adminRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerCreateTenantKey(app: ApiApp, deps: ApiDependencies): void {
  const route = adminRoute(deps.ctx, {
    method: 'post',
    operationId: 'createTenantKey',
    path: '/admin/v1/tenants/{id}/keys',
    summary: 'Create an API key for a tenant',
    description: 'The plaintext key is in the response once and never again.',
    middleware: [requireJson],
    request: { params: IdParamsSchema, body: { required: true, content: { 'application/json': { schema: CreateApiKeyRequestSchema } } } },
    responses: { 201: { description: 'The key.', content: { 'application/json': { schema: CreatedApiKeySchema } } } },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const issued = await issueApiKey({
      ctx: deps.ctx,
      input: { tenantId: c.req.valid('param').id, name: body.name, scopes: body.scopes, mode: body.mode, origin: requestOrigin(c) },
    });
    return c.json(issued, 201);
  });
}
