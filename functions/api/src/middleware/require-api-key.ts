import { authenticateApiKey, type ServiceContext } from '@kontext/services';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';

/** Authenticates `x-key` (BFL's header) or `Authorization: Bearer <key>`. */
export function requireApiKey(ctx: ServiceContext): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const key = c.req.header('x-key') ?? bearer;
    c.set('auth', await authenticateApiKey({ ctx, input: { key } }));
    await next();
  };
}
