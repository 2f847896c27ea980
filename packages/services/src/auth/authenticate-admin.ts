import { createHash, timingSafeEqual } from 'node:crypto';
import { ProblemError } from '@kontext/core';
import { findAdminAuthFailures, recordAdminAuthFailure } from '@kontext/db';
import type { ServiceContext, VerbArgs } from '../context.ts';

/**
 * The operator API is off unless an admin token is configured. Tokens are compared as SHA-256
 * digests with timingSafeEqual: constant time whatever the lengths. An address that sent too many
 * wrong tokens in the window is refused (429) before its token is compared, so the token cannot
 * be guessed at speed; every wrong token is logged with the address and its count, never itself.
 */
export async function authenticateAdmin({ ctx, input }: VerbArgs<{ bearer: string | undefined; source: string }>): Promise<void> {
  const expected = ctx.settings.adminToken;
  if (!expected) throw new ProblemError('not_found', 'the operator API is not enabled on this deployment');
  const { adminAuthFailureLimit: limit, adminAuthWindowSeconds: windowSeconds } = ctx.settings;
  const window = await findAdminAuthFailures(ctx.db, input.source, windowSeconds);
  if (window.failures >= limit) {
    ctx.log.warn('operator authentication refused: too many failures', { source: input.source, failures: window.failures });
    throw tooManyFailures(window.resetSeconds, limit);
  }
  const given = createHash('sha256').update(input.bearer ?? '').digest();
  const wanted = createHash('sha256').update(expected).digest();
  if (input.bearer && timingSafeEqual(given, wanted)) return;
  // No token at all is a client's mistake, not a guess: refused, not counted.
  if (!input.bearer) throw unauthorized();
  const counted = await recordAdminAuthFailure(ctx.db, input.source, windowSeconds);
  ctx.log.warn('operator authentication failed', { source: input.source, failures: counted.failures, limit });
  throw unauthorized();
}

function unauthorized(): ProblemError {
  return new ProblemError('unauthorized', 'missing or invalid admin token (Authorization: Bearer <admin token>)');
}

function tooManyFailures(retryAfterSeconds: number, limit: number): ProblemError {
  return new ProblemError(
    'rate_limited',
    `too many failed operator authentications from this address; retry in ${retryAfterSeconds} s`,
    { extensions: { limit: 'admin_auth_failures', limit_value: limit, retry_after_seconds: retryAfterSeconds } },
  );
}

export function isAdminApiEnabled(ctx: ServiceContext): boolean {
  return ctx.settings.adminToken !== undefined;
}
