export * from './settings.ts';
export { platformSettingsOf } from './platform-settings-of.ts';
export * from './logger.ts';
export type { ServiceContext, VerbArgs } from './context.ts';
export { ApiKeyCache } from './auth/api-key-cache.ts';
export { hashApiKey } from './auth/hash-api-key.ts';
export { authenticateApiKey, requireScope, unauthorized, type AuthenticatedKey } from './auth/authenticate-api-key.ts';
export { authenticateAdmin, isAdminApiEnabled } from './auth/authenticate-admin.ts';
export { createTenant } from './tenants/create-tenant.ts';
export { getTenant } from './tenants/get-tenant.ts';
export { listTenants } from './tenants/list-tenants.ts';
export { updateTenantLimits } from './tenants/update-tenant-limits.ts';
export { presentTenant, type PublicTenant } from './tenants/present-tenant.ts';
export { adjustCredits } from './credits/adjust-credits.ts';
export { getCredits } from './credits/get-credits.ts';
export { issueApiKey, ALL_API_KEY_SCOPES, type IssuedApiKey, type IssueApiKeyInput } from './keys/issue-api-key.ts';
export { listApiKeys } from './keys/list-api-keys.ts';
export { rotateApiKey } from './keys/rotate-api-key.ts';
export { revokeApiKey } from './keys/revoke-api-key.ts';
export { presentApiKey, type PublicApiKey } from './keys/present-api-key.ts';
export { checkRateLimit, rateLimitedProblem, type RateLimitDecision } from './limits/check-rate-limit.ts';
export { getUsage, type GetUsageInput } from './usage/get-usage.ts';
export { cancelJob } from './jobs/cancel-job.ts';
export { getJob } from './jobs/get-job.ts';
export { listJobs, type ListJobsInput } from './jobs/list-jobs.ts';
export { getLineage } from './jobs/get-lineage.ts';
export { continueEdit } from './jobs/continue-edit.ts';
export { getAsset } from './assets/get-asset.ts';
export { readAssetContent } from './assets/read-asset-content.ts';
export { sweepExpiredAssets } from './maintenance/sweep-expired-assets.ts';
export { createUrlInputFetcher, UrlInputError, type FetchUrlInput } from './images/fetch-url-input.ts';
export { inspectImage, type InspectedImage } from './images/inspect-image.ts';
export { submitJob, type SubmitJobInput, type SubmitJobResult } from './jobs/submit-job.ts';
export { getJobResult } from './jobs/get-job-result.ts';
export { claimJob, type ClaimOutcome } from './jobs/claim-job.ts';
export { loadJobInputs, type LoadedInput } from './jobs/load-job-inputs.ts';
export { completeJob, type CompleteOutcome } from './jobs/complete-job.ts';
export { failJob } from './jobs/fail-job.ts';
export { releaseJob } from './jobs/release-job.ts';
export { renewJobLease } from './jobs/renew-job-lease.ts';
export { reportJobProgress } from './jobs/report-job-progress.ts';
export { relayDispatch } from './jobs/relay-dispatch.ts';
export { sweepJobs, type SweepReport } from './jobs/sweep-jobs.ts';
export { listModels, toPublicModel, type PublicModel } from './models/list-models.ts';
export type { JobRow, WorkerLease } from '@kontext/db';
export { checkHealth, type HealthReport } from './health/check-health.ts';
export { createServiceContext, type ServiceContextOptions } from './create-context.ts';
export { generateWebhookSecret, signatureHeader, signingKeyOf } from './webhooks/signing.ts';
export { deliverWebhook, type DeliveryOutcome } from './webhooks/deliver-webhook.ts';
export { claimDueWebhooks } from './webhooks/claim-due-webhooks.ts';
export { relayWebhooks } from './webhooks/relay-webhooks.ts';
export { dispatchRelayedWebhook } from './webhooks/dispatch-relayed-webhook.ts';
export {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
} from './webhooks/manage-endpoints.ts';
export { listWebhookDeliveries, redeliverWebhook } from './webhooks/manage-deliveries.ts';
export { beginIdempotency, finishIdempotency, requestFingerprint, IDEMPOTENCY_RETENTION_SECONDS } from './idempotency/idempotent-request.ts';
export { JobEventHub, PollingJobEvents, type JobEventSource } from './jobs/job-event-hub.ts';
export { awaitSubmittedJob } from './jobs/await-submitted-job.ts';
export { readJobEvents, type JobStreamEvent } from './jobs/read-job-events.ts';
export { purgeExpiredRecords } from './maintenance/purge-expired-records.ts';
export { runMaintenance, type MaintenanceReport } from './maintenance/run-maintenance.ts';
export * from './process-lifecycle.ts';
export * from './unavailable.ts';
