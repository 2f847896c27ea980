import { mayAssignRole, ProblemError } from '@kontext/core';
import { deleteInvitation } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { actorOf, recordAudit, type RequestOrigin } from './audit.ts';
import { assigningRoleOf } from './invite-member.ts';

class OwnerInvitation extends Error {}

/** Withdraws a pending invitation: its link stops working at once. */
export async function revokeInvitation({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; id: string; origin: RequestOrigin }>): Promise<void> {
  requireScope(input.auth, 'members:write');
  try {
    await ctx.db.transaction(async (tx) => {
      const removed = await deleteInvitation(tx, input.auth.tenantId, input.id);
      if (!removed) throw new ProblemError('not_found', `no invitation ${input.id}`);
      if (!mayAssignRole(assigningRoleOf(input.auth), removed.role, null)) throw new OwnerInvitation();
      await recordAudit(tx, { tenantId: input.auth.tenantId, action: 'invitation.revoked', actor: actorOf(input.auth), target: removed.id, details: { email: removed.email, role: removed.role }, origin: input.origin });
    });
  } catch (error) {
    if (error instanceof OwnerInvitation) throw new ProblemError('forbidden', 'only an owner can withdraw an invitation to be an owner');
    throw error;
  }
}
