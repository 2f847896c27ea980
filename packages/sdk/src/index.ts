// @kontext/sdk: the tenant API's client. Everything a caller needs is exported from here.

export { Kontext, DEFAULT_BASE_URL, type KontextOptions } from './client.ts';
export { Job, type JobProgress, type JobResult, type WaitOptions } from './job.ts';
export type { CallOptions, WriteOptions } from './call-options.ts';
export type { ContinueEditOptions, EditOptions, GenerateOptions, SubmitOptions } from './submit.ts';
export { DEFAULT_MODEL, MAX_REFERENCES } from './submit.ts';
export { imageToWire, sniffImageFormat, NOT_AN_IMAGE, type ImageFormat, type ImageInput } from './images.ts';
export { verifyWebhook, type VerifyWebhookOptions, type WebhookHeaders } from './webhooks.ts';
export {
  KontextApiError,
  KontextError,
  KontextInputError,
  KontextJobError,
  KontextNetworkError,
  KontextWebhookError,
} from './errors.ts';
export { SseParser, readEventStream, type ServerSentEvent, type SseHandlers } from './events.ts';
export { backoffDelayMs, parseRetryAfter, type BackoffPolicy } from './retry.ts';
export type { FetchFunction } from './transport.ts';
export type { JobsResource } from './resources/jobs.ts';
export type { ModelsResource } from './resources/models.ts';
export type { KeysResource } from './resources/keys.ts';
export type { WebhooksResource, WebhookEndpointsResource, WebhookDeliveriesResource } from './resources/webhooks.ts';
export type { AssetsResource } from './resources/assets.ts';
export type { TeamResource } from './resources/team.ts';
export type * from './types.ts';
export type { components, operations, paths } from './generated/openapi.ts';
