import { OpenAPIHono } from '@hono/zod-openapi';
import { ProblemError, isProblemError } from '@kontext/core';
import { HTTPException } from 'hono/http-exception';
import type { ApiApp, ApiDependencies, ApiEnv } from './env.ts';
import { accessLog } from './middleware/access-log.ts';
import { clientAddress } from './middleware/client-address.ts';
import { requestId } from './middleware/request-id.ts';
import { problemResponse } from './problem-response.ts';
import { registerDocs } from './routes/docs.ts';
import { registerGetBlob } from './routes/get-blob.ts';
import { registerGetResult } from './routes/get-result.ts';
import { registerHealth } from './routes/health.ts';
import { registerListModels } from './routes/list-models.ts';
import { registerSubmitJob } from './routes/submit-job.ts';
import { registerCancelJob } from './routes/jobs/cancel-job.ts';
import { registerContinueEdit } from './routes/jobs/continue-edit.ts';
import { registerGetJob } from './routes/jobs/get-job.ts';
import { registerGetLineage } from './routes/jobs/get-lineage.ts';
import { registerJobEvents } from './routes/jobs/job-events.ts';
import { registerListJobs } from './routes/jobs/list-jobs.ts';
import { registerGetAsset } from './routes/assets/get-asset.ts';
import { registerGetAssetContent } from './routes/assets/get-asset-content.ts';
import { registerCreateWebhookEndpoint } from './routes/webhooks/create-endpoint.ts';
import { registerDeleteWebhookEndpoint } from './routes/webhooks/delete-endpoint.ts';
import { registerListWebhookDeliveries } from './routes/webhooks/list-deliveries.ts';
import { registerListWebhookEndpoints } from './routes/webhooks/list-endpoints.ts';
import { registerRedeliverWebhook } from './routes/webhooks/redeliver.ts';
import { registerRotateWebhookSecret } from './routes/webhooks/rotate-secret.ts';
import { registerUpdateWebhookEndpoint } from './routes/webhooks/update-endpoint.ts';
import { registerGetCredits } from './routes/get-credits.ts';
import { registerGetUsage } from './routes/get-usage.ts';
import { registerCreateKey } from './routes/keys/create-key.ts';
import { registerListKeys } from './routes/keys/list-keys.ts';
import { registerRevokeKey } from './routes/keys/revoke-key.ts';
import { registerRotateKey } from './routes/keys/rotate-key.ts';
import { registerAdjustCredits } from './routes/admin/adjust-credits.ts';
import { registerCreateTenant } from './routes/admin/create-tenant.ts';
import { registerCreateTenantKey } from './routes/admin/create-tenant-key.ts';
import { registerGetPlatformUsage } from './routes/admin/get-platform-usage.ts';
import { registerGetTenant } from './routes/admin/get-tenant.ts';
import { registerListTenants } from './routes/admin/list-tenants.ts';
import { registerUpdateTenant } from './routes/admin/update-tenant.ts';
import { DATABASE_RETRY_AFTER_SECONDS, errorFields, isAdminApiEnabled, unavailableProblemOf } from '@kontext/services';
import { allowedMethodsOf } from './allowed-methods.ts';
import { validationProblem } from './validation.ts';

/** The HTTP API: the same app behind the Node server (one machine) and the Lambda handler (cloud). */
export function createApp(deps: ApiDependencies): ApiApp {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const location = result.target === 'query' ? 'query' : result.target === 'param' ? 'path' : 'body';
        // The validator hands its hook the raw input too, though the hook's type does not say so.
        const input: unknown = 'data' in result ? result.data : undefined;
        throw validationProblem(result.error, location, input);
      }
    },
  });

  app.use('*', requestId);
  app.use('*', clientAddress(deps.connectionInfo));
  app.use('*', accessLog(deps.ctx.log));

  registerHealth(app, deps);
  registerListModels(app, deps);
  registerSubmitJob(app, deps);
  registerGetResult(app, deps);
  registerListJobs(app, deps);
  registerGetJob(app, deps);
  registerGetLineage(app, deps);
  registerJobEvents(app, deps);
  registerContinueEdit(app, deps);
  registerCancelJob(app, deps);
  registerGetAsset(app, deps);
  registerGetAssetContent(app, deps);
  registerCreateWebhookEndpoint(app, deps);
  registerListWebhookEndpoints(app, deps);
  registerUpdateWebhookEndpoint(app, deps);
  registerDeleteWebhookEndpoint(app, deps);
  registerRotateWebhookSecret(app, deps);
  registerListWebhookDeliveries(app, deps);
  registerRedeliverWebhook(app, deps);
  registerGetCredits(app, deps);
  registerGetUsage(app, deps);
  registerCreateKey(app, deps);
  registerListKeys(app, deps);
  registerRotateKey(app, deps);
  registerRevokeKey(app, deps);
  if (deps.localBlobs) registerGetBlob(app, deps, deps.localBlobs.signer);
  // The operator API exists only where an admin token is configured.
  if (isAdminApiEnabled(deps.ctx)) {
    registerCreateTenant(app, deps);
    registerListTenants(app, deps);
    registerGetTenant(app, deps);
    registerUpdateTenant(app, deps);
    registerAdjustCredits(app, deps);
    registerCreateTenantKey(app, deps);
    registerGetPlatformUsage(app, deps);
  }
  registerDocs(app, deps);

  const allowedMethods = allowedMethodsOf(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (!allowed) return problemResponse(c, new ProblemError('not_found', `no route for ${c.req.method} ${c.req.path}`));
    const allow = allowed.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { allow });
    return problemResponse(c, new ProblemError('method_not_allowed', `${c.req.path} does not take ${c.req.method}; it takes ${allow}`), { allow });
  });

  app.onError((error, c) => {
    if (isProblemError(error)) return problemResponse(c, error, c.get('problemHeaders') ?? {});
    if (error instanceof HTTPException) {
      if (error.status === 400) return problemResponse(c, new ProblemError('malformed_request', 'the request body is not valid JSON'));
      const kind = error.status === 413 ? 'payload_too_large' : error.status === 401 ? 'unauthorized' : 'malformed_request';
      return problemResponse(c, new ProblemError(kind, error.message || 'the request could not be processed'));
    }
    const unavailable = unavailableProblemOf(error);
    if (unavailable) {
      deps.ctx.log.warn('database unavailable', { requestId: c.get('requestId'), path: c.req.path, ...errorFields(error) });
      return problemResponse(c, unavailable, { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) });
    }
    deps.ctx.log.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, ...errorFields(error) });
    return problemResponse(c, new ProblemError('internal', 'an unexpected error occurred; quote the request id if you report it'));
  });

  return app;
}
