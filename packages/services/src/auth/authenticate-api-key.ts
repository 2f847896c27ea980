import { parseApiKey, ProblemError } from '@kontext/core';
import { findActiveApiKeyByHash, touchApiKeyLastUsed, type ActiveApiKey } from '@kontext/db';
import type { AuthenticatedPrincipal } from './principal.ts';
import type { VerbArgs } from '../context.ts';
import { errorFields } from '../logger.ts';
import { hashApiKey } from './hash-api-key.ts';

function principalOfKey(key: ActiveApiKey): AuthenticatedPrincipal {
  return { ...key, credential: 'api_key', member: null };
}

const LAST_USED_WRITE_INTERVAL_SECONDS = 60;

/**
 * Missing, malformed, mistyped, unknown, revoked and rotated-out keys all get this one answer:
 * no oracle for which keys exist or once existed.
 */
export function unauthorized(): ProblemError {
  return new ProblemError(
    'unauthorized',
    'Missing or invalid API key: it may be mistyped, revoked or past its rotation grace period. ' +
      'Send a current key in the x-key header (or Authorization: Bearer <key>).',
  );
}

/**
 * Verifies an API key: shape and checksum first (no database for a typo), then the in-process
 * cache, then one indexed lookup by SHA-256 that also brings the tenant's per-key limits.
 */
export async function authenticateApiKey({ ctx, input }: VerbArgs<{ key: string | undefined }>): Promise<AuthenticatedPrincipal> {
  const key = input.key?.trim();
  if (!key || !parseApiKey(key).ok) throw unauthorized();
  const keyHash = hashApiKey(key);
  const cached = ctx.apiKeyCache.get(keyHash);
  if (cached) return principalOfKey(cached);
  const found = await findActiveApiKeyByHash(ctx.db, keyHash);
  if (!found) throw unauthorized();
  ctx.apiKeyCache.set(keyHash, found);
  // Off the request path, and throttled twice (per cache fill here, per minute in SQL).
  touchApiKeyLastUsed(ctx.counters, found.id, LAST_USED_WRITE_INTERVAL_SECONDS).catch((error: unknown) =>
    ctx.log.warn('could not record api key use', { apiKeyId: found.id, ...errorFields(error) }),
  );
  return principalOfKey(found);
}
