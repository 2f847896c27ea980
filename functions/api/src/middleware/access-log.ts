import type { Logger } from '@kontext/services';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';

// Anything shaped like an API key or admin token is masked, should a client put one in a path.
const SECRET_PATTERN = /kx_(live|test)_[0-9A-Za-z]+|kxadmin_[0-9A-Za-z_-]+/g;

/** One line per request: method, path (never the query: signed URLs carry signatures there), status, time. */
export function accessLog(log: Logger): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    log.info('request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path.replace(SECRET_PATTERN, '[redacted]'),
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      tenantId: c.get('auth')?.tenantId,
    });
  };
}
