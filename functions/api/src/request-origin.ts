import type { RequestOrigin } from '@kontext/services';
import type { Context } from 'hono';
import type { ApiEnv } from './env.ts';

/** Where the request came from, for audit entries and a session's device line. */
export function requestOrigin(c: Context<ApiEnv>): RequestOrigin {
  const address = c.get('clientAddress');
  return {
    requestId: c.get('requestId') ?? null,
    clientAddress: address && address !== 'unknown' ? address : null,
    userAgent: c.req.header('user-agent')?.slice(0, 300) ?? null,
  };
}
