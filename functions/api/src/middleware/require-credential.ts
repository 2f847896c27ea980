import { ProblemError } from '@kontext/core';
import {
  authenticateApiKey,
  authenticateSession,
  checkRateLimit,
  isValidCsrfToken,
  rateLimitedProblem,
  sessionEnded,
  unauthorized,
  type AuthenticatedPrincipal,
  type ServiceContext,
} from '@kontext/services';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.ts';
import { requestOriginKind } from './same-origin.ts';
import { readSessionCookie } from './session-cookie.ts';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Authenticates the request's credential into one principal: an API key (`x-key`, BFL's header,
 * or `Authorization: Bearer <key>`), else the console's session cookie. A request with a key
 * ignores any cookie. A write made with the cookie must also come from the platform's own origin
 * and carry the session's CSRF token. Then one request is taken from the credential's per-minute
 * allowance (held in Postgres, so it holds across API processes), reported in RateLimit-* headers;
 * over the limit -> 429 with Retry-After.
 *
 * `sessionOnly`: account routes (password, sessions), which have no meaning for an API key.
 */
export function requireCredential(ctx: ServiceContext, options: { sessionOnly?: boolean } = {}): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const key = c.req.header('x-key') ?? bearer;
    let auth: AuthenticatedPrincipal;
    if (key !== undefined) {
      if (options.sessionOnly) throw new ProblemError('forbidden', 'this operation is for a signed-in person (the console session cookie), not an API key');
      auth = await authenticateApiKey({ ctx, input: { key } });
    } else {
      const cookie = readSessionCookie(c);
      if (cookie === undefined) throw options.sessionOnly ? sessionEnded() : unauthorized();
      const session = await authenticateSession({ ctx, input: { cookie } });
      if (UNSAFE_METHODS.has(c.req.method)) {
        if (requestOriginKind(c, ctx) !== 'same-origin' || !isValidCsrfToken(session, c.req.header('x-csrf-token'))) {
          throw new ProblemError(
            'forbidden',
            'a write made with the session cookie must come from the console (same origin) with the X-CSRF-Token header from GET /v1/session',
            { extensions: { csrf: true } },
          );
        }
      }
      c.set('session', session);
      auth = session.principal;
    }
    c.set('auth', auth);
    const decision = await checkRateLimit({ ctx, input: { auth } });
    const headers = {
      'ratelimit-limit': String(decision.limit),
      'ratelimit-remaining': String(decision.remaining),
      'ratelimit-reset': String(decision.resetSeconds),
    };
    if (!decision.allowed) {
      const problem = rateLimitedProblem(decision, auth.credential);
      c.set('problemHeaders', { ...headers, 'retry-after': String(decision.retryAfterSeconds) });
      throw problem;
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
