import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';

// CORS for browser apps on other origins, off unless the operator lists origins (CORS_ORIGINS).
// Never for the operator API (its token must not live in a browser), and never with credentials:
// the API authenticates by a header the page sends, not by cookies, so `*` stays safe.

const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE';
const ALLOWED_HEADERS = 'x-key, authorization, content-type, idempotency-key, prefer, last-event-id';
/** What a page may read of an answer beyond the CORS-safelisted headers. */
const EXPOSED_HEADERS = 'x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, idempotent-replayed, preference-applied, location';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

export function cors(origins: readonly string[]): MiddlewareHandler<ApiEnv> {
  const anyOrigin = origins.includes('*');
  const listed = new Set(origins);
  return async (c, next) => {
    const origin = c.req.header('origin');
    const operatorRoute = c.req.path === '/admin' || c.req.path.startsWith('/admin/');
    if (!origin || operatorRoute || !(anyOrigin || listed.has(origin))) return next();
    const allowOrigin = anyOrigin ? '*' : origin;
    const preflight = c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined;
    if (preflight) {
      return c.body(null, 204, {
        'access-control-allow-origin': allowOrigin,
        'access-control-allow-methods': ALLOWED_METHODS,
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      });
    }
    await next();
    c.res.headers.set('access-control-allow-origin', allowOrigin);
    c.res.headers.set('access-control-expose-headers', EXPOSED_HEADERS);
    if (!anyOrigin) c.res.headers.append('vary', 'Origin');
  };
}
