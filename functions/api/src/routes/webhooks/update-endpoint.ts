import { UpdateWebhookEndpointRequestSchema, WebhookEndpointSchema } from '@kontext/core';
import { updateWebhookEndpoint } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerUpdateWebhookEndpoint(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'patch',
    operationId: 'updateWebhookEndpoint',
    path: '/v1/webhooks/endpoints/{id}',
    tags: ['Webhooks'],
    summary: 'Change or re-enable a webhook endpoint',
    description: 'URL, events, description; `enabled: false` disables the endpoint (nothing more is sent to it; its pending deliveries fail), `enabled: true` re-enables it. Needs webhooks:write.',
    middleware: [requireJson],
    request: { params: IdParamsSchema, body: { required: true, content: { 'application/json': { schema: UpdateWebhookEndpointRequestSchema } } } },
    responses: {
      200: { description: 'The endpoint.', content: { 'application/json': { schema: WebhookEndpointSchema } } },
      404: problemResponseSpec('No such endpoint for this tenant.'),
      422: problemResponseSpec('A field is invalid.'),
    },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const endpoint = await updateWebhookEndpoint({
      ctx: deps.ctx,
      input: { auth: c.get('auth'), id: c.req.valid('param').id, url: body.url, events: body.events, description: body.description, enabled: body.enabled },
    });
    return c.json(endpoint, 200);
  });
}
