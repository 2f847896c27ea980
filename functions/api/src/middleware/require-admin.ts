import { parseApiKey, ProblemError, isProblemError } from '@kontext/core';
import { authenticateAdmin, type ServiceContext } from '@kontext/services';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';

/** The operator API takes the admin token only; an API key, however privileged, is refused with 403. */
export function requireAdmin(ctx: ServiceContext): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
    const apiKey = c.req.header('x-key') ?? (bearer && parseApiKey(bearer).ok ? bearer : undefined);
    if (apiKey !== undefined) {
      throw new ProblemError('forbidden', 'API keys cannot use the operator API; send the admin token as Authorization: Bearer <token>');
    }
    try {
      await authenticateAdmin({ ctx, input: { bearer, source: c.get('clientAddress') } });
    } catch (error) {
      if (isProblemError(error) && error.kind === 'rate_limited') {
        c.set('problemHeaders', { 'retry-after': String(error.extensions.retry_after_seconds) });
      }
      throw error;
    }
    await next();
  };
}
