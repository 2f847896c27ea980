import { mayAssignRole, ProblemError } from '@kontext/core';
import { findMembership, removeMember as removeMemberRow } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { actorOf, recordAudit, type RequestOrigin } from './audit.ts';
import { lastOwner, ownersOnly } from './change-member-role.ts';
import { assigningRoleOf } from './invite-member.ts';

/** Removes a member (or lets a member leave); their sessions in the tenant end at once. */
export async function removeMember({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; userId: string; origin: RequestOrigin }>): Promise<void> {
  const leaving = input.auth.member?.userId === input.userId;
  if (!leaving) requireScope(input.auth, 'members:write');
  const actorRole = assigningRoleOf(input.auth);
  // Authority before state (see changeMemberRole): refused for an owner even when it is the last one.
  const current = leaving ? undefined : await findMembership(ctx.db, input.auth.tenantId, input.userId);
  if (current && !mayAssignRole(actorRole, current.role, null)) throw ownersOnly();
  const change = await removeMemberRow(ctx.db, input.auth.tenantId, input.userId, async (tx, from) => {
    if (!leaving && !mayAssignRole(actorRole, from, null)) throw ownersOnly();
    await recordAudit(tx, { tenantId: input.auth.tenantId, action: 'member.removed', actor: actorOf(input.auth), target: input.userId, details: { role: from, left: leaving }, origin: input.origin });
  });
  if (change.outcome === 'not_found') throw new ProblemError('not_found', `no member ${input.userId}`);
  if (change.outcome === 'last_owner') throw lastOwner();
}
