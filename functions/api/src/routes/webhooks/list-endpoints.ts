import { WebhookEndpointListSchema } from '@kontext/core';
import { listWebhookEndpoints } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListWebhookEndpoints(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listWebhookEndpoints',
    path: '/v1/webhooks/endpoints',
    tags: ['Webhooks'],
    summary: 'List webhook endpoints',
    description: 'Never their secrets. Needs webhooks:read.',
    responses: { 200: { description: 'The endpoints.', content: { 'application/json': { schema: WebhookEndpointListSchema } } } },
  });
  app.openapi(route, async (c) => c.json(await listWebhookEndpoints({ ctx: deps.ctx, input: { auth: c.get('auth') } }), 200));
}
