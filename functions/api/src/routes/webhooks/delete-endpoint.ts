import { deleteWebhookEndpoint } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerDeleteWebhookEndpoint(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'delete',
    operationId: 'deleteWebhookEndpoint',
    path: '/v1/webhooks/endpoints/{id}',
    tags: ['Webhooks'],
    summary: 'Delete a webhook endpoint',
    description: 'Its pending deliveries fail; the delivery log stays. Needs webhooks:write.',
    request: { params: IdParamsSchema },
    responses: {
      204: { description: 'Deleted.' },
      404: problemResponseSpec('No such endpoint for this tenant.'),
    },
  });
  app.openapi(route, async (c) => {
    await deleteWebhookEndpoint({ ctx: deps.ctx, input: { auth: c.get('auth'), id: c.req.valid('param').id } });
    return c.body(null, 204);
  });
}
