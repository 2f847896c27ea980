import { ProblemError } from '@kontext/core';
import { consumeRateLimit, refundRateLimit, type RateLimitDecision } from '@kontext/db';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';

export type { RateLimitDecision };

/** Takes one request from the key's per-minute allowance (shared by every API process). */
export async function checkRateLimit({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal }>): Promise<RateLimitDecision> {
  return consumeRateLimit(ctx.counters, input.auth.id, input.auth.requestsPerMinute);
}

/** The 429 of a credential over its allowance; `credential` names what is limited (a console session has its own). */
export function rateLimitedProblem(decision: RateLimitDecision, credential: AuthenticatedPrincipal['credential'] = 'api_key'): ProblemError {
  const what = credential === 'session' ? 'this console session is' : 'this API key is';
  return new ProblemError(
    'rate_limited',
    `${what} limited to ${decision.limit} requests per minute; retry in ${decision.retryAfterSeconds} s`,
    { extensions: { limit: 'requests_per_minute_per_key', limit_value: decision.limit, retry_after_seconds: decision.retryAfterSeconds } },
  );
}

/** Gives the request back when another limit refused it, so one refusal never consumes another limit. */
export async function refundRequest({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal }>): Promise<void> {
  await refundRateLimit(ctx.counters, input.auth.id, input.auth.requestsPerMinute);
}
