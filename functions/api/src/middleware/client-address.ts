import type { MiddlewareHandler } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import type { ApiEnv } from '../env.ts';

/** Records the connection's remote address for the request (limits per address, logs). */
export function clientAddress(connectionInfo: GetConnInfo | undefined): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    let address: string | undefined;
    try {
      address = connectionInfo?.(c).remote.address;
    } catch {
      // an in-process request (tests) has no socket
    }
    c.set('clientAddress', address ?? 'unknown');
    await next();
  };
}
