import { createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import { IDEMPOTENCY_KEY_PATTERN, text } from '@kontext/core';
import { idempotency } from './middleware/idempotency.ts';
import type { ServiceContext } from '@kontext/services';
import { requireAdmin } from './middleware/require-admin.ts';
import { requireCredential } from './middleware/require-credential.ts';
import { refuseCrossSite } from './middleware/same-origin.ts';
import { ADMIN_ERROR_RESPONSES, API_KEY_SECURITY, COMMON_ERROR_RESPONSES, SESSION_SECURITY, shapeResponses, SIGN_IN_ERROR_RESPONSES } from './openapi-responses.ts';

// The kinds of route, declared once: tenant routes take an API key or a console session (and
// count against its rate limit), account routes a session only, sign-in routes no credential
// (but refuse cross-site browser requests), operator routes the admin token. Each adds its security
// scheme, middleware and shared error responses to the route's own definition.

type Protected<R extends RouteConfig, E> = R & { security: Record<string, string[]>[]; responses: R['responses'] & E };

export function tenantRoute<R extends RouteConfig>(ctx: ServiceContext, config: R): Protected<R, typeof COMMON_ERROR_RESPONSES> {
  return createRoute({
    ...config,
    ...withIdempotencyHeader(config),
    security: API_KEY_SECURITY,
    // Authentication (and the rate limit) first, then the route's own middleware, then idempotency.
    middleware: [requireCredential(ctx), ...asArray(config.middleware), ...(config.method === 'post' ? [idempotency(ctx)] : [])],
    responses: { ...COMMON_ERROR_RESPONSES, ...shapeResponses(config), ...config.responses },
  }) as Protected<R, typeof COMMON_ERROR_RESPONSES>;
}

/** A signed-in person's own account (password, sessions): the session cookie only; no idempotency replay of a session's answer. */
export function sessionRoute<R extends RouteConfig>(ctx: ServiceContext, config: R): Protected<R, typeof COMMON_ERROR_RESPONSES> {
  return createRoute({
    ...config,
    tags: ['Console sessions'],
    security: SESSION_SECURITY,
    middleware: [requireCredential(ctx, { sessionOnly: true }), ...asArray(config.middleware)],
    responses: { ...COMMON_ERROR_RESPONSES, ...shapeResponses(config, { idempotency: false }), ...config.responses },
  }) as Protected<R, typeof COMMON_ERROR_RESPONSES>;
}

/** Signing in, accepting an invitation, resetting a password: no credential; a cross-site browser request is refused. */
export function signInRoute<R extends RouteConfig>(ctx: ServiceContext, config: R): Protected<R, typeof SIGN_IN_ERROR_RESPONSES> {
  return createRoute({
    ...config,
    tags: ['Console sessions'],
    security: [],
    middleware: [refuseCrossSite(ctx), ...asArray(config.middleware)],
    responses: { ...SIGN_IN_ERROR_RESPONSES, ...shapeResponses(config, { idempotency: false }), ...config.responses },
  }) as Protected<R, typeof SIGN_IN_ERROR_RESPONSES>;
}

export function adminRoute<R extends RouteConfig>(ctx: ServiceContext, config: R): Protected<R, typeof ADMIN_ERROR_RESPONSES> {
  return createRoute({
    ...config,
    ...withIdempotencyHeader(config),
    tags: ['Operator'],
    security: [{ adminToken: [] }],
    middleware: [requireAdmin(ctx), ...asArray(config.middleware), ...(config.method === 'post' ? [idempotency(ctx)] : [])],
    responses: { ...ADMIN_ERROR_RESPONSES, ...shapeResponses(config), ...config.responses },
  }) as Protected<R, typeof ADMIN_ERROR_RESPONSES>;
}

const IdempotencyHeaderSchema = z.object({
  'idempotency-key': text({ min: 1, max: 255, pattern: { regex: IDEMPOTENCY_KEY_PATTERN, message: 'must be printable ASCII characters' } }).optional().openapi({
    param: { name: 'idempotency-key', in: 'header' },
    description: 'Makes a retry safe: the first answer is replayed for 24 hours; the same key with other parameters is refused.',
  }),
});

/** Every POST documents (and accepts) the Idempotency-Key header. */
function withIdempotencyHeader(config: RouteConfig): Pick<RouteConfig, 'request'> {
  if (config.method !== 'post') return {};
  return { request: { ...config.request, headers: IdempotencyHeaderSchema } };
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
