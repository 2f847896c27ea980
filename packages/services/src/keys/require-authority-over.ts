import { ProblemError } from '@kontext/core';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';

/**
 * A key manages only keys it could have issued: every scope of the target is one of its own, and
 * a test key manages only test keys. So a `keys:write` key cannot revoke or rotate a key with more
 * power than itself (a leaked narrow key cannot take down the production key); the operator, and
 * a key with every scope, can manage any key of the tenant.
 */
export function requireAuthorityOver(actor: AuthenticatedPrincipal, target: { id: string; scopes: readonly string[]; mode: 'live' | 'test' }): void {
  const beyond = target.scopes.filter((scope) => !(actor.scopes as readonly string[]).includes(scope));
  if (beyond.length > 0) {
    throw new ProblemError('forbidden', `API key ${target.id} has scopes this key lacks (${beyond.join(', ')}); only a key with all of them can manage it`, {
      extensions: { missing_scopes: beyond.join(',') },
    });
  }
  if (actor.mode === 'test' && target.mode !== 'test') throw new ProblemError('forbidden', 'a test key can only manage test keys');
}
