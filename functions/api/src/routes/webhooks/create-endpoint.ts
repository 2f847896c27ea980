import { CreateWebhookEndpointRequestSchema, WebhookEndpointWithSecretSchema } from '@kontext/core';
import { createWebhookEndpoint } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { linksById, problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerCreateWebhookEndpoint(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'post',
    operationId: 'createWebhookEndpoint',
    path: '/v1/webhooks/endpoints',
    tags: ['Webhooks'],
    summary: 'Register a webhook endpoint',
    description:
      'Receives the chosen job events, signed per Standard Webhooks with the whsec_ secret returned here (once). Needs webhooks:write.',
    middleware: [requireJson],
    request: { body: { required: true, content: { 'application/json': { schema: CreateWebhookEndpointRequestSchema } } } },
    responses: {
      201: {
        description: 'The endpoint and its secret.',
        content: { 'application/json': { schema: WebhookEndpointWithSecretSchema } },
        links: linksById({ updateWebhookEndpoint: 'path.id', rotateWebhookSecret: 'path.id', deleteWebhookEndpoint: 'path.id' }),
      },
      422: problemResponseSpec('A field is invalid, or the URL is on a private or reserved network.'),
    },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const endpoint = await createWebhookEndpoint({
      ctx: deps.ctx,
      input: { auth: c.get('auth'), url: body.url, events: body.events, description: body.description },
    });
    return c.json(endpoint, 201);
  });
}
