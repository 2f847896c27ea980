import { beginIdempotency, finishIdempotency, requestFingerprint, type ServiceContext } from '@kontext/services';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';

/**
 * Idempotency-Key on a POST: acquire the key (or replay the stored answer, or refuse), run the
 * request, store its answer. Scoped to the tenant (the operator for /admin) and the route.
 */
export function idempotency(ctx: ServiceContext): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined) return next();
    const scope = { tenantId: c.get('auth')?.tenantId ?? 'operator', route: `${c.req.method} ${c.req.routePath}`, key };
    // The body is read once here; the validator after this reads it from Hono's cache.
    const body = await c.req.text();
    const begun = await beginIdempotency(ctx, scope, requestFingerprint(c.req.method, c.req.path, body));
    if (begun.outcome === 'replay') {
      return new Response(begun.body, { status: begun.status, headers: { ...begun.headers, 'idempotent-replayed': 'true' } });
    }
    try {
      await next();
    } catch (error) {
      // Errors become responses in the app's error handler; record nothing for a request that threw past it.
      await finishIdempotency(ctx, scope, { status: 500, body: '', headers: {} }).catch(() => {});
      throw error;
    }
    const response = c.res.clone();
    const contentType = response.headers.get('content-type');
    await finishIdempotency(ctx, scope, {
      status: response.status,
      body: await response.text(),
      headers: contentType ? { 'content-type': contentType } : {},
    });
  };
}
