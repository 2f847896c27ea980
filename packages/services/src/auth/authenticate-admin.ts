import { createHash, timingSafeEqual } from 'node:crypto';
import { ProblemError } from '@kontext/core';
import type { ServiceContext } from '../context.ts';

/**
 * The operator API is off unless an admin token is configured. Tokens are compared as SHA-256
 * digests with timingSafeEqual: constant time whatever the lengths.
 */
export function authenticateAdmin(ctx: ServiceContext, bearer: string | undefined): void {
  const expected = ctx.settings.adminToken;
  if (!expected) throw new ProblemError('not_found', 'the operator API is not enabled on this deployment');
  const given = createHash('sha256').update(bearer ?? '').digest();
  const wanted = createHash('sha256').update(expected).digest();
  if (!bearer || !timingSafeEqual(given, wanted)) {
    throw new ProblemError('unauthorized', 'missing or invalid admin token (Authorization: Bearer <admin token>)');
  }
}

export function isAdminApiEnabled(ctx: ServiceContext): boolean {
  return ctx.settings.adminToken !== undefined;
}
