import { WebhookDeliverySchema } from '@kontext/core';
import { redeliverWebhook } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerRedeliverWebhook(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'post',
    operationId: 'redeliverWebhook',
    path: '/v1/webhooks/deliveries/{id}/redeliver',
    tags: ['Webhooks'],
    summary: 'Send a delivery again',
    description: 'Same webhook-id, the retry schedule restarted. Needs webhooks:write.',
    request: { params: IdParamsSchema },
    responses: {
      202: { description: 'Queued for delivery.', content: { 'application/json': { schema: WebhookDeliverySchema } } },
      404: problemResponseSpec('No such delivery for this tenant.'),
    },
  });
  app.openapi(route, async (c) => c.json(await redeliverWebhook({ ctx: deps.ctx, input: { auth: c.get('auth'), id: c.req.valid('param').id } }), 202));
}
