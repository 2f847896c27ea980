import { deleteSession } from '@kontext/db';
import { requireMember, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { actorOf, recordAudit, type RequestOrigin } from './audit.ts';

/** Ends the calling session. */
export async function signOut({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; origin: RequestOrigin }>): Promise<void> {
  const member = requireMember(input.auth);
  await ctx.db.transaction(async (tx) => {
    if (await deleteSession(tx, input.auth.id, member.userId)) {
      await recordAudit(tx, { tenantId: input.auth.tenantId, action: 'session.signed_out', actor: actorOf(input.auth), target: input.auth.id, origin: input.origin });
    }
  });
}
