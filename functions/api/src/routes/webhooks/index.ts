import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerCreateWebhookEndpoint } from './create-endpoint.ts';
import { registerDeleteWebhookEndpoint } from './delete-endpoint.ts';
import { registerListWebhookDeliveries } from './list-deliveries.ts';
import { registerListWebhookEndpoints } from './list-endpoints.ts';
import { registerRedeliverWebhook } from './redeliver.ts';
import { registerRotateWebhookSecret } from './rotate-secret.ts';
import { registerSendTestWebhookEvent } from './send-test-event.ts';
import { registerUpdateWebhookEndpoint } from './update-endpoint.ts';

/** /v1/webhooks: registered endpoints and the deliveries made to them. */
export function registerWebhookRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerCreateWebhookEndpoint(app, deps);
  registerListWebhookEndpoints(app, deps);
  registerUpdateWebhookEndpoint(app, deps);
  registerDeleteWebhookEndpoint(app, deps);
  registerRotateWebhookSecret(app, deps);
  registerSendTestWebhookEvent(app, deps);
  registerListWebhookDeliveries(app, deps);
  registerRedeliverWebhook(app, deps);
}
