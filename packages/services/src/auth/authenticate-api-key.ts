import { parseApiKey, ProblemError, type ApiKeyScope } from '@kontext/core';
import { findActiveApiKeyByHash, touchApiKeyLastUsed, type ActiveApiKey } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { errorFields } from '../logger.ts';
import { hashApiKey } from './hash-api-key.ts';

export type AuthenticatedKey = ActiveApiKey;

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
export async function authenticateApiKey({ ctx, input }: VerbArgs<{ key: string | undefined }>): Promise<AuthenticatedKey> {
  const key = input.key?.trim();
  if (!key || !parseApiKey(key).ok) throw unauthorized();
  const keyHash = hashApiKey(key);
  const cached = ctx.apiKeyCache.get(keyHash);
  if (cached) return cached;
  const found = await findActiveApiKeyByHash(ctx.db, keyHash);
  if (!found) throw unauthorized();
  ctx.apiKeyCache.set(keyHash, found);
  // Off the request path, and throttled twice (per cache fill here, per minute in SQL).
  touchApiKeyLastUsed(ctx.counters, found.id, LAST_USED_WRITE_INTERVAL_SECONDS).catch((error: unknown) =>
    ctx.log.warn('could not record api key use', { apiKeyId: found.id, ...errorFields(error) }),
  );
  return found;
}

/** 403 unless the key carries the scope: the first line of every scoped operation. */
export function requireScope(auth: AuthenticatedKey, scope: ApiKeyScope): void {
  if (!auth.scopes.includes(scope)) {
    throw new ProblemError('forbidden', `this API key lacks the ${scope} scope`, { extensions: { required_scope: scope } });
  }
}
