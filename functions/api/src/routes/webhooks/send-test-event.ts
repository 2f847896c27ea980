import { MAX_PENDING_TEST_DELIVERIES, WEBHOOK_TEST_MESSAGE, WebhookDeliverySchema } from '@kontext/core';
import { sendTestWebhook } from '@kontext/services';
import type { ApiApp, ApiDependencies } from '../../env.ts';
import { linksById, problemResponseSpec } from '../../openapi-responses.ts';
import { tenantRoute } from '../../route-kinds.ts';
import { IdParamsSchema } from '../id-params.ts';

export function registerSendTestWebhookEvent(app: ApiApp, deps: ApiDependencies): void {
  const route = tenantRoute(deps.ctx, {
    method: 'post',
    operationId: 'sendTestWebhookEvent',
    path: '/v1/webhooks/endpoints/{id}/test',
    tags: ['Webhooks'],
    summary: 'Send a test event to an endpoint',
    description:
      'A new delivery of the event `webhook.test` to this endpoint, delivered like any other: signed per Standard Webhooks with ' +
      "the endpoint's secret (both secrets during a rotation's overlap), through the same SSRF guard, retried on the same schedule, " +
      'every attempt in the delivery log (GET /v1/webhooks/deliveries?endpoint_id=…), and redeliverable. It is about no job, so its ' +
      '`job_id` is null, and no endpoint subscribes to it: it is sent only when asked for here. Its body: ' +
      `\`{"type":"webhook.test","timestamp":"<ISO 8601>","data":{"endpoint_id":"whe_…","message":"${WEBHOOK_TEST_MESSAGE}"}}\`. ` +
      `Any number may be sent, each a new delivery with its own webhook-id, but at most ${MAX_PENDING_TEST_DELIVERIES} may be pending ` +
      'for one endpoint at once (not yet succeeded or failed: a receiver that is down keeps them retrying); one more is refused with ' +
      '429 until one finishes. Needs webhooks:write.',
    request: { params: IdParamsSchema },
    responses: {
      202: {
        description: 'The test delivery, pending: poll it in the delivery log.',
        content: { 'application/json': { schema: WebhookDeliverySchema } },
        links: linksById({ redeliverWebhook: 'path.id' }),
      },
      404: problemResponseSpec('No such endpoint for this tenant.'),
      409: problemResponseSpec(
        'The endpoint is disabled (after a 410 Gone): enable it first (PATCH with `enabled: true`). Or a request with this Idempotency-Key is still running.',
      ),
      429: problemResponseSpec(
        `${MAX_PENDING_TEST_DELIVERIES} test deliveries to this endpoint are already pending (Retry-After: until the soonest of their next attempts); ` +
          'or over the per-credential request rate (see Retry-After and the RateLimit-* headers).',
        { 'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } },
      ),
    },
  });
  app.openapi(route, async (c) =>
    c.json(await sendTestWebhook({ ctx: deps.ctx, input: { auth: c.get('auth'), endpointId: c.req.valid('param').id } }), 202),
  );
}
