import { ProblemError, type ApiKeyScope } from '@kontext/core';
import { findTenantApiKey, scheduleApiKeyRetirement } from '@kontext/db';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { issueApiKey, type IssuedApiKey } from './issue-api-key.ts';
import { requireAuthorityOver } from './require-authority-over.ts';
import { actorOf, NO_ORIGIN, recordAudit, type RequestOrigin } from '../people/audit.ts';

class NotRotatable extends Error {}

/**
 * Rotation: a new key with the same name, scopes and mode, and the old one scheduled to stop after
 * the grace period, in one transaction. A key already rotated or revoked cannot be rotated again.
 */
export async function rotateApiKey({
  ctx,
  input,
}: VerbArgs<{ tenantId: string; keyId: string; graceSeconds?: number | undefined; issuer: AuthenticatedPrincipal; origin?: RequestOrigin }>): Promise<{
  key: IssuedApiKey;
  old_key_expires_at: string;
}> {
  const old = await findTenantApiKey(ctx.db, input.tenantId, input.keyId);
  if (!old) throw new ProblemError('not_found', `no API key ${input.keyId}`);
  requireAuthorityOver(input.issuer, old);
  const graceSeconds = input.graceSeconds ?? ctx.settings.keyRotationGraceSeconds;
  try {
    const rotated = await ctx.db.transaction(async (tx) => {
      const issued = await issueApiKey(
        { ctx, input: { tenantId: input.tenantId, name: old.name, scopes: old.scopes as ApiKeyScope[], mode: old.mode, issuer: input.issuer, origin: input.origin } },
        tx,
      );
      const retired = await scheduleApiKeyRetirement(tx, {
        id: old.id,
        tenantId: input.tenantId,
        replacedByKeyId: issued.id,
        graceSeconds,
      });
      if (!retired?.revokedAt) throw new NotRotatable();
      await recordAudit(tx, {
        tenantId: input.tenantId,
        action: 'key.rotated',
        actor: actorOf(input.issuer),
        target: old.id,
        details: { name: old.name, replaced_by: issued.id, grace_seconds: graceSeconds },
        origin: input.origin ?? NO_ORIGIN,
      });
      return { key: issued, old_key_expires_at: retired.revokedAt.toISOString() };
    });
    // This process may hold the old key from before the rotation, with no expiry: drop it, so the
    // next use reloads it with its grace deadline (other processes refresh within the cache TTL).
    ctx.apiKeyCache.forgetKeyId(input.keyId);
    return rotated;
  } catch (error) {
    if (error instanceof NotRotatable) throw new ProblemError('conflict', `API key ${input.keyId} was already rotated or revoked`);
    throw error;
  }
}
