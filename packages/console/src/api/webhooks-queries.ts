import { queryOptions } from '@tanstack/react-query';
import type * as Sdk from '@kontext/sdk';
import type { ApiClient } from './client.ts';
import { cursorPagesQuery } from './cursor-pages.ts';

// /v1/webhooks: endpoints and the delivery log, keyed by the call.

export type {
  CreateWebhookEndpointRequest,
  UpdateWebhookEndpointRequest,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
  WebhookEventType,
} from '@kontext/sdk';

export const WEBHOOKS_KEY = ['webhooks'] as const;
export const ENDPOINTS_KEY = ['webhooks', 'endpoints'] as const;
export const DELIVERIES_KEY = ['webhooks', 'deliveries'] as const;
/** Every filter's delivery log (not the in-flight poll). */
export const DELIVERY_LOG_KEY = ['webhooks', 'deliveries', 'log'] as const;

/** One page of the delivery log. */
export const DELIVERY_PAGE_SIZE = 20;
/** The in-flight poll's page: more pending deliveries than this and the poll settles nothing. */
export const IN_FLIGHT_PAGE_SIZE = 100;

export interface DeliveryQuery {
  endpoint_id?: string;
  outcome?: 'pending' | 'succeeded' | 'failed';
}

const path = (id: string) => `/v1/webhooks/endpoints/${encodeURIComponent(id)}`;

export const endpointsQuery = (api: ApiClient) =>
  queryOptions({ queryKey: ENDPOINTS_KEY, queryFn: ({ signal }) => api.get<Sdk.WebhookEndpointList>('/v1/webhooks/endpoints', { signal }) });

/** The delivery log, newest first, a page at a time (`next_cursor`). */
export const deliveriesQuery = (api: ApiClient, query: DeliveryQuery) =>
  cursorPagesQuery<Sdk.WebhookDeliveryList>(api, [...DELIVERY_LOG_KEY, query], '/v1/webhooks/deliveries', query, DELIVERY_PAGE_SIZE);

/** The deliveries still in flight (of one endpoint, or all): the only rows the log polls. */
export const inFlightDeliveriesQuery = (api: ApiClient, endpointId: string | undefined) =>
  queryOptions({
    queryKey: [...DELIVERIES_KEY, 'in-flight', { endpoint_id: endpointId }],
    queryFn: ({ signal }) =>
      api.get<Sdk.WebhookDeliveryList>('/v1/webhooks/deliveries', {
        query: { endpoint_id: endpointId, outcome: 'pending', limit: IN_FLIGHT_PAGE_SIZE },
        signal,
      }),
    staleTime: 0,
  });

export const createEndpoint = (api: ApiClient, body: Sdk.CreateWebhookEndpointRequest) =>
  api.request<Sdk.WebhookEndpointWithSecret>('POST', '/v1/webhooks/endpoints', { body });

export const updateEndpoint = (api: ApiClient, id: string, body: Sdk.UpdateWebhookEndpointRequest) =>
  api.request<Sdk.WebhookEndpoint>('PATCH', path(id), { body });

export const rotateEndpointSecret = (api: ApiClient, id: string, overlapSeconds: number) =>
  api.request<Sdk.WebhookEndpointWithSecret>('POST', `${path(id)}/rotate-secret`, { body: { overlap_seconds: overlapSeconds } });

export const deleteEndpoint = (api: ApiClient, id: string) => api.request<void>('DELETE', path(id));

/** A webhook.test delivery to the endpoint: 202 with the delivery, pending. */
export const sendTestEvent = (api: ApiClient, id: string) => api.request<Sdk.WebhookDelivery>('POST', `${path(id)}/test`);

/** The same message again (same webhook-id), the retry schedule restarted: 202 with the delivery. */
export const redeliver = (api: ApiClient, id: string) =>
  api.request<Sdk.WebhookDelivery>('POST', `/v1/webhooks/deliveries/${encodeURIComponent(id)}/redeliver`);
