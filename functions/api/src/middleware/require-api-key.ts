import { authenticateApiKey, checkRateLimit, rateLimitedProblem, type ServiceContext } from '@kontext/services';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';

/**
 * Authenticates `x-key` (BFL's header) or `Authorization: Bearer <key>`, then takes one request
 * from the key's per-minute allowance (held in Postgres, so it holds across API processes) and
 * reports it in RateLimit-* headers; over the limit -> 429 with Retry-After.
 */
export function requireApiKey(ctx: ServiceContext): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const key = c.req.header('x-key') ?? bearer;
    const auth = await authenticateApiKey({ ctx, input: { key } });
    c.set('auth', auth);
    const decision = await checkRateLimit({ ctx, input: { auth } });
    const headers = {
      'ratelimit-limit': String(decision.limit),
      'ratelimit-remaining': String(decision.remaining),
      'ratelimit-reset': String(decision.resetSeconds),
    };
    if (!decision.allowed) {
      const problem = rateLimitedProblem(decision);
      c.set('problemHeaders', { ...headers, 'retry-after': String(decision.retryAfterSeconds) });
      throw problem;
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
