import { mayAssignRole, ProblemError, type MemberRole } from '@kontext/core';
import { changeMemberRole as changeRoleRow, findMembership, listMembers as listMemberRows } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { actorOf, recordAudit, type RequestOrigin } from './audit.ts';
import { assigningRoleOf } from './invite-member.ts';
import { presentMember, type PublicMember } from './list-members.ts';

export function lastOwner(): ProblemError {
  return new ProblemError('conflict', 'a team keeps at least one owner: make someone else an owner first');
}

export function ownersOnly(): ProblemError {
  return new ProblemError('forbidden', 'only an owner can make someone an owner or change what an owner is');
}

/** Changes a member's role; the database keeps at least one owner, and only owners touch the owner role. */
export async function changeMemberRole({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; userId: string; role: MemberRole; origin: RequestOrigin }>): Promise<PublicMember> {
  requireScope(input.auth, 'members:write');
  const actorRole = assigningRoleOf(input.auth);
  // Authority before state: an admin touching an owner is refused (403) even when that owner is
  // the last one, rather than told to make someone else an owner (which an admin cannot do). The
  // check is repeated under the tenant's lock, where the role cannot change underneath it.
  const current = await findMembership(ctx.db, input.auth.tenantId, input.userId);
  if (current && !mayAssignRole(actorRole, current.role, input.role)) throw ownersOnly();
  const change = await changeRoleRow(ctx.db, input.auth.tenantId, input.userId, input.role, async (tx, from) => {
    if (!mayAssignRole(actorRole, from, input.role)) throw ownersOnly();
    await recordAudit(tx, { tenantId: input.auth.tenantId, action: 'member.role_changed', actor: actorOf(input.auth), target: input.userId, details: { from, to: input.role }, origin: input.origin });
  });
  if (change.outcome === 'not_found') throw new ProblemError('not_found', `no member ${input.userId}`);
  if (change.outcome === 'last_owner') throw lastOwner();
  const member = (await listMemberRows(ctx.db, input.auth.tenantId)).find((row) => row.userId === input.userId);
  if (!member) throw new ProblemError('not_found', `no member ${input.userId}`);
  return presentMember(member);
}
