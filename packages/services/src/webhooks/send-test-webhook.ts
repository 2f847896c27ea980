import { isId, MAX_PENDING_TEST_DELIVERIES, newId, ProblemError, WEBHOOK_TEST_MESSAGE } from '@kontext/core';
import { insertTestDelivery } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { refundRequest } from '../limits/check-rate-limit.ts';
import { presentDelivery, type PublicWebhookDelivery } from './present-webhooks.ts';
import { relayDelivery } from './relay-webhooks.ts';

/**
 * A test event (`webhook.test`) to one of the tenant's endpoints: a new delivery, due now, that the
 * dispatcher delivers as it does any other (signed with the endpoint's secret, both of them during
 * a rotation's overlap, through the SSRF guard, retried on the schedule, every attempt logged). Any
 * number over time, each its own delivery; at most MAX_PENDING_TEST_DELIVERIES pending at once per
 * endpoint, so a receiver that is down does not gather an unbounded pile of retrying tests.
 */
export async function sendTestWebhook({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; endpointId: string }>): Promise<PublicWebhookDelivery> {
  requireScope(input.auth, 'webhooks:write');
  const notFound = () => new ProblemError('not_found', `no webhook endpoint ${input.endpointId}`);
  if (!isId('webhookEndpoint', input.endpointId)) throw notFound();
  const written = await insertTestDelivery(ctx.db, {
    id: newId('webhookMessage'),
    tenantId: input.auth.tenantId,
    endpointId: input.endpointId,
    data: { endpoint_id: input.endpointId, message: WEBHOOK_TEST_MESSAGE },
    maxPending: MAX_PENDING_TEST_DELIVERIES,
  });
  switch (written.outcome) {
    case 'not_found':
      throw notFound();
    case 'disabled':
      throw new ProblemError(
        'conflict',
        `webhook endpoint ${input.endpointId} is disabled${written.reason ? ` (${written.reason})` : ''}; enable it first (PATCH /v1/webhooks/endpoints/${input.endpointId} with {"enabled": true})`,
        { extensions: { endpoint_status: 'disabled' } },
      );
    case 'too_many': {
      // One limit's refusal does not also spend the credential's request rate (as a submit's active-job limit).
      await refundRequest({ ctx, input: { auth: input.auth } });
      const retryAfterSeconds = Math.max(1, Math.ceil((written.nextAttemptAt.getTime() - Date.now()) / 1000));
      throw new ProblemError(
        'rate_limited',
        `${written.pending} test deliveries to webhook endpoint ${input.endpointId} are still pending (at most ${MAX_PENDING_TEST_DELIVERIES}); ` +
          'wait until one has succeeded or failed, or redeliver one of them once the receiver answers',
        { extensions: { limit: 'pending_test_deliveries_per_endpoint', limit_value: MAX_PENDING_TEST_DELIVERIES, retry_after_seconds: retryAfterSeconds } },
      );
    }
    case 'inserted':
      await relayDelivery(ctx, written.delivery.id);
      return presentDelivery(written.delivery, []);
  }
}
