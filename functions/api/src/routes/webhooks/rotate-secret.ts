import { RotateWebhookSecretRequestSchema, WebhookEndpointWithSecretSchema } from '@kontext/core';
import { rotateWebhookSecret } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerRotateWebhookSecret(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'post',
    operationId: 'rotateWebhookSecret',
    path: '/v1/webhooks/endpoints/{id}/rotate-secret',
    tags: ['Webhooks'],
    summary: "Rotate an endpoint's signing secret",
    description:
      'A new secret, returned once. Until the overlap ends (default 24 hours) every delivery carries two signatures, ' +
      'one per secret, so the receiver can switch without missing a message. Needs webhooks:write.',
    request: {
      params: IdParamsSchema,
      body: { required: false, content: { 'application/json': { schema: RotateWebhookSecretRequestSchema } } },
    },
    responses: {
      200: { description: 'The endpoint and its new secret.', content: { 'application/json': { schema: WebhookEndpointWithSecretSchema } } },
      404: problemResponseSpec('No such endpoint for this tenant.'),
      422: problemResponseSpec('A field is invalid.'),
    },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid('json') ?? {};
    const endpoint = await rotateWebhookSecret({
      ctx: deps.ctx,
      input: { auth: c.get('auth'), id: c.req.valid('param').id, overlapSeconds: body.overlap_seconds },
    });
    return c.json(endpoint, 200);
  });
}
