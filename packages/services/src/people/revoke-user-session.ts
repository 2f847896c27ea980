import { ProblemError } from '@kontext/core';
import { deleteSession } from '@kontext/db';
import { requireMember, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { actorOf, recordAudit, type RequestOrigin } from './audit.ts';

/** Ends one of the caller's own sessions (another device); another user's session id is not found. */
export async function revokeUserSession({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; sessionId: string; origin: RequestOrigin }>): Promise<void> {
  const member = requireMember(input.auth);
  await ctx.db.transaction(async (tx) => {
    if (!(await deleteSession(tx, input.sessionId, member.userId))) throw new ProblemError('not_found', `no session ${input.sessionId}`);
    await recordAudit(tx, { tenantId: input.auth.tenantId, action: 'session.revoked', actor: actorOf(input.auth), target: input.sessionId, origin: input.origin });
  });
}
