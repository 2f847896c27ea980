import { ProblemError } from '@kontext/core';
import { findTenantApiKey, revokeApiKey as revokeKeyRow } from '@kontext/db';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { requireAuthorityOver } from './require-authority-over.ts';
import { actorOf, NO_ORIGIN, recordAudit, type RequestOrigin } from '../people/audit.ts';
import { presentApiKey, type PublicApiKey } from './present-api-key.ts';

/**
 * Revokes a key now (idempotent). This process stops accepting it at once; every other API
 * process (Lambda instance) stops within the key cache TTL (5 s by default): nothing can reach
 * their caches, so the TTL is the bound, after which a lookup misses the cache and the database
 * refuses the key.
 */
export async function revokeApiKey({
  ctx,
  input,
}: VerbArgs<{ tenantId: string; keyId: string; actor?: AuthenticatedPrincipal; origin?: RequestOrigin }>): Promise<PublicApiKey> {
  const target = await findTenantApiKey(ctx.db, input.tenantId, input.keyId);
  if (!target) throw new ProblemError('not_found', `no API key ${input.keyId}`);
  if (input.actor) requireAuthorityOver(input.actor, target);
  await ctx.db.transaction(async (tx) => {
    if (await revokeKeyRow(tx, input.keyId, input.tenantId)) {
      await recordAudit(tx, { tenantId: input.tenantId, action: 'key.revoked', actor: actorOf(input.actor), target: input.keyId, details: { name: target.name }, origin: input.origin ?? NO_ORIGIN });
    }
  });
  const record = (await findTenantApiKey(ctx.db, input.tenantId, input.keyId)) ?? target;
  ctx.apiKeyCache.forgetKeyId(input.keyId);
  return presentApiKey(record);
}
