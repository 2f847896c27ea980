import { OpenAPIHono } from '@hono/zod-openapi';
import { ProblemError, isProblemError } from '@kontext/core';
import { HTTPException } from 'hono/http-exception';
import type { ApiApp, ApiDependencies, ApiEnv } from './env.ts';
import { accessLog } from './middleware/access-log.ts';
import { clientAddress } from './middleware/client-address.ts';
import { cors } from './middleware/cors.ts';
import { requestId } from './middleware/request-id.ts';
import { problemResponse } from './problem-response.ts';
import { registerAccountRoutes } from './routes/account/index.ts';
import { registerAdminRoutes } from './routes/admin/index.ts';
import { registerAssetRoutes } from './routes/assets/index.ts';
import { registerBlobRoutes } from './routes/blobs/index.ts';
import { registerConsoleRoutes } from './routes/console/index.ts';
import { registerDocsRoutes } from './routes/docs/index.ts';
import { registerHealthRoutes } from './routes/health/index.ts';
import { registerJobRoutes } from './routes/jobs/index.ts';
import { registerKeyRoutes } from './routes/keys/index.ts';
import { registerModelRoutes } from './routes/models/index.ts';
import { registerWebhookRoutes } from './routes/webhooks/index.ts';
import { registerAuditRoutes } from './routes/audit/index.ts';
import { registerInvitationRoutes } from './routes/invitations/index.ts';
import { registerMeRoutes } from './routes/me/index.ts';
import { registerMemberRoutes } from './routes/members/index.ts';
import { registerPasswordResetRoutes } from './routes/password-reset/index.ts';
import { registerSessionRoutes } from './routes/session/index.ts';
import { registerSignUpRoutes } from './routes/signup/index.ts';
import { DATABASE_RETRY_AFTER_SECONDS, errorFields, isAdminApiEnabled, unavailableProblemOf } from '@kontext/services';
import { allowedMethodsOf } from './allowed-methods.ts';
import { validationProblem } from './validation.ts';

/** BFL's submit path shape, POST /v1/<model>. */
const SUBMIT_PATH = /^\/v1\/[^/]+$/;

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
  if (deps.corsOrigins && deps.corsOrigins.length > 0) app.use('*', cors(deps.corsOrigins));

  // Hono matches in registration order, and the OpenAPI document lists paths in it: keep this order.
  registerHealthRoutes(app, deps);
  registerModelRoutes(app, deps);
  registerJobRoutes(app, deps);
  registerAssetRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerAccountRoutes(app, deps);
  registerKeyRoutes(app, deps);
  registerSessionRoutes(app, deps);
  registerMeRoutes(app, deps);
  registerPasswordResetRoutes(app, deps);
  registerSignUpRoutes(app, deps);
  registerMemberRoutes(app, deps);
  registerInvitationRoutes(app, deps);
  registerAuditRoutes(app, deps);
  if (deps.localBlobs) registerBlobRoutes(app, deps, deps.localBlobs.signer);
  // The operator API exists only where an admin token is configured.
  if (isAdminApiEnabled(deps.ctx)) registerAdminRoutes(app, deps);
  registerConsoleRoutes(app, deps, deps.consoleDirectory);
  registerDocsRoutes(app, deps);

  const allowedMethods = allowedMethodsOf(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (!allowed && c.req.method === 'POST' && SUBMIT_PATH.test(c.req.path)) {
      // BFL's submit is POST /v1/<model>: a model this server does not serve gets the list it does.
      const served = deps.ctx.catalog.map((profile) => profile.id).join(', ');
      return problemResponse(c, new ProblemError('not_found', `no model ${c.req.path.slice('/v1/'.length)}; this server serves ${served} (GET /v1/models)`));
    }
    if (!allowed) return problemResponse(c, new ProblemError('not_found', `no route for ${c.req.method} ${c.req.path}`));
    const allow = allowed.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { allow });
    return problemResponse(c, new ProblemError('method_not_allowed', `${c.req.path} does not take ${c.req.method}; it takes ${allow}`), { allow });
  });

  app.onError((error, c) => {
    if (isProblemError(error)) {
      const headers = { ...(c.get('problemHeaders') ?? {}) };
      // A refusal that says when to come back says it in Retry-After too.
      const retryAfter = error.extensions.retry_after_seconds;
      if (typeof retryAfter === 'number' && headers['retry-after'] === undefined) headers['retry-after'] = String(retryAfter);
      return problemResponse(c, error, headers);
    }
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
