import { ProblemError } from '@kontext/core';
import type { ServiceContext } from '@kontext/services';
import type { Context } from 'hono';
import type { ApiEnv } from '../env.ts';

// Browsers say where a request comes from (Sec-Fetch-Site, Origin); an attacker's page cannot
// forge either. A cookie-carrying write must come from the console's own origin.

function publicOrigin(ctx: ServiceContext): string {
  return new URL(ctx.settings.publicBaseUrl ?? 'http://localhost').origin;
}

/** What the browser's headers say about the request's origin. `unknown`: neither header (not a browser). */
export function requestOriginKind(c: Context<ApiEnv>, ctx: ServiceContext): 'same-origin' | 'cross-origin' | 'unknown' {
  const site = c.req.header('sec-fetch-site');
  const origin = c.req.header('origin');
  if (site !== undefined && site !== 'same-origin') return 'cross-origin';
  if (origin !== undefined && origin !== publicOrigin(ctx)) return 'cross-origin';
  if (site === undefined && origin === undefined) return 'unknown';
  return 'same-origin';
}

/**
 * For the routes that take no credential but set a cookie (sign-in, accepting an invitation):
 * refuse a cross-site browser request (login CSRF); non-browser clients send neither header.
 */
export function refuseCrossSite(ctx: ServiceContext) {
  return async (c: Context<ApiEnv>, next: () => Promise<void>) => {
    if (requestOriginKind(c, ctx) === 'cross-origin') {
      throw new ProblemError('forbidden', `browser requests to ${c.req.path} must come from ${publicOrigin(ctx)}`);
    }
    await next();
  };
}
