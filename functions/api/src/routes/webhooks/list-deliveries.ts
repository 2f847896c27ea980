import { WebhookDeliveryListSchema, WebhookDeliveryQuerySchema } from '@kontext/core';
import { listWebhookDeliveries } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';

export function registerListWebhookDeliveries(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'get',
    operationId: 'listWebhookDeliveries',
    path: '/v1/webhooks/deliveries',
    tags: ['Webhooks'],
    summary: 'The webhook delivery log',
    description: 'Every delivery with every attempt (status, error, time, the start of the answer); filter by job, endpoint or outcome. Needs webhooks:read.',
    request: { query: WebhookDeliveryQuerySchema },
    responses: {
      200: { description: 'A page of deliveries, newest first.', content: { 'application/json': { schema: WebhookDeliveryListSchema } } },
      422: problemResponseSpec('A parameter is invalid.'),
    },
  });
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    const page = await listWebhookDeliveries({
      ctx: deps.ctx,
      input: { auth: c.get('auth'), jobId: query.job_id, endpointId: query.endpoint_id, outcome: query.outcome, cursor: query.cursor, limit: query.limit },
    });
    return c.json(page, 200);
  });
}
