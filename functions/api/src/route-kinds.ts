import { createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import { IDEMPOTENCY_KEY_PATTERN, text } from '@kontext/core';
import { idempotency } from './middleware/idempotency.ts';
import type { ServiceContext } from '@kontext/services';
import { requireAdmin } from './middleware/require-admin.ts';
import { requireApiKey } from './middleware/require-api-key.ts';
import { ADMIN_ERROR_RESPONSES, API_KEY_SECURITY, COMMON_ERROR_RESPONSES, shapeResponses } from './openapi-responses.ts';

// The two kinds of protected route, declared once: tenant routes take an API key (and count
// against its rate limit), operator routes take the admin token. Each adds its security scheme,
// middleware and shared error responses to the route's own definition.

type Protected<R extends RouteConfig, E> = R & { security: Record<string, string[]>[]; responses: R['responses'] & E };

export function apiKeyRoute<R extends RouteConfig>(ctx: ServiceContext, config: R): Protected<R, typeof COMMON_ERROR_RESPONSES> {
  return createRoute({
    ...config,
    ...withIdempotencyHeader(config),
    security: API_KEY_SECURITY,
    // Authentication (and the rate limit) first, then the route's own middleware, then idempotency.
    middleware: [requireApiKey(ctx), ...asArray(config.middleware), ...(config.method === 'post' ? [idempotency(ctx)] : [])],
    responses: { ...COMMON_ERROR_RESPONSES, ...shapeResponses(config), ...config.responses },
  }) as Protected<R, typeof COMMON_ERROR_RESPONSES>;
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
