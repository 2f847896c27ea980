import type { CallOptions, WriteOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type {
  CreateWebhookEndpointRequest,
  RotateWebhookSecretRequest,
  UpdateWebhookEndpointRequest,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookDeliveryQuery,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
} from '../types.ts';

/** Registered receivers: the events each subscribes to, and its whsec_ signing secret (in the answer once). */
export class WebhookEndpointsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  #path(id: string): string {
    return `/v1/webhooks/endpoints/${encodeURIComponent(id)}`;
  }

  list(options: CallOptions = {}): Promise<WebhookEndpointList> {
    return this.#transport.json<WebhookEndpointList>({ method: 'GET', path: '/v1/webhooks/endpoints', signal: options.signal });
  }

  create(request: CreateWebhookEndpointRequest, options: WriteOptions = {}): Promise<WebhookEndpointWithSecret> {
    return this.#transport.json<WebhookEndpointWithSecret>({
      method: 'POST',
      path: '/v1/webhooks/endpoints',
      json: request,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** URL, events, description; `enabled: true` re-enables a disabled endpoint. */
  update(id: string, request: UpdateWebhookEndpointRequest, options: CallOptions = {}): Promise<WebhookEndpoint> {
    return this.#transport.json<WebhookEndpoint>({ method: 'PATCH', path: this.#path(id), json: request, signal: options.signal });
  }

  async delete(id: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json<undefined>({ method: 'DELETE', path: this.#path(id), signal: options.signal });
  }

  /** A new secret; both are signed with until the overlap ends (`overlap_seconds`, default 24 hours). */
  rotateSecret(id: string, request: RotateWebhookSecretRequest = {}, options: WriteOptions = {}): Promise<WebhookEndpointWithSecret> {
    return this.#transport.json<WebhookEndpointWithSecret>({
      method: 'POST',
      path: `${this.#path(id)}/rotate-secret`,
      json: request,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
  }

  /**
   * A test event (`webhook.test`, about no job: `job_id` null) to this endpoint, delivered, signed
   * and retried like any other; the pending delivery is returned, to follow in `deliveries.list`.
   * A disabled endpoint is refused (409); so is an 11th pending test delivery to it (429).
   */
  sendTest(id: string, options: WriteOptions = {}): Promise<WebhookDelivery> {
    return this.#transport.json<WebhookDelivery>({
      method: 'POST',
      path: `${this.#path(id)}/test`,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
  }
}

/** Every delivery with every attempt, and sending one again (same webhook-id). */
export class WebhookDeliveriesResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  list(query: WebhookDeliveryQuery = {}, options: CallOptions = {}): Promise<WebhookDeliveryList> {
    return this.#transport.json<WebhookDeliveryList>({ method: 'GET', path: '/v1/webhooks/deliveries', query, signal: options.signal });
  }

  redeliver(id: string, options: WriteOptions = {}): Promise<WebhookDelivery> {
    return this.#transport.json<WebhookDelivery>({
      method: 'POST',
      path: `/v1/webhooks/deliveries/${encodeURIComponent(id)}/redeliver`,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
  }
}

export class WebhooksResource {
  readonly endpoints: WebhookEndpointsResource;
  readonly deliveries: WebhookDeliveriesResource;

  constructor(transport: Transport) {
    this.endpoints = new WebhookEndpointsResource(transport);
    this.deliveries = new WebhookDeliveriesResource(transport);
  }
}
