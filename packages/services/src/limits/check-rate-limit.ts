import { ProblemError } from '@kontext/core';
import { consumeRateLimit, refundRateLimit, type RateLimitDecision } from '@kontext/db';
import type { AuthenticatedKey } from '../auth/authenticate-api-key.ts';
import type { VerbArgs } from '../context.ts';

export type { RateLimitDecision };

/** Takes one request from the key's per-minute allowance (shared by every API process). */
export async function checkRateLimit({ ctx, input }: VerbArgs<{ auth: AuthenticatedKey }>): Promise<RateLimitDecision> {
  return consumeRateLimit(ctx.counters, input.auth.id, input.auth.requestsPerMinute);
}

export function rateLimitedProblem(decision: RateLimitDecision): ProblemError {
  return new ProblemError(
    'rate_limited',
    `this API key is limited to ${decision.limit} requests per minute; retry in ${decision.retryAfterSeconds} s`,
    { extensions: { limit: 'requests_per_minute_per_key', limit_value: decision.limit, retry_after_seconds: decision.retryAfterSeconds } },
  );
}

/** Gives the request back when another limit refused it, so one refusal never consumes another limit. */
export async function refundRequest({ ctx, input }: VerbArgs<{ auth: AuthenticatedKey }>): Promise<void> {
  await refundRateLimit(ctx.counters, input.auth.id, input.auth.requestsPerMinute);
}
