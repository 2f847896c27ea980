import { newId, PASSWORD_MIN_LENGTH, ProblemError } from '@kontext/core';
import { findInvitationByToken, findOrInsertUser, findUserByEmail, insertMembership, redeemInvitation } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { recordAudit, type RequestOrigin } from './audit.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { startSession, type StartedSession } from './start-session.ts';
import { sha256 } from './tokens.ts';

function usedOrExpired(): ProblemError {
  return new ProblemError('not_found', 'no invitation with this link: it was used already, withdrawn or has expired; ask for a new one', { issues: [{ field: 'token', message: 'was used, withdrawn or has expired' }] });
}

/**
 * Accepts an invitation: a new account with the password given, or, when the address has an
 * account already, that account after checking its password. The invitation is redeemed and the
 * membership added in one transaction, so a link works once; the person is then signed in.
 */
export async function acceptInvitation({ ctx, input }: VerbArgs<{ token: string; password: string; name?: string | undefined; origin: RequestOrigin }>): Promise<StartedSession> {
  const tokenHash = sha256(input.token);
  const pending = await findInvitationByToken(ctx.db, tokenHash);
  if (!pending) throw usedOrExpired();
  const existing = await findUserByEmail(ctx.db, pending.email);
  if (existing && !(await verifyPassword(input.password, existing.passwordHash))) {
    throw new ProblemError('forbidden', `${pending.email} has an account already: enter its password to join (or reset it)`, { issues: [{ field: 'password', message: 'is not the password of the existing account' }] });
  }
  if (!existing && [...input.password].length < PASSWORD_MIN_LENGTH) {
    throw new ProblemError('validation_failed', `the password must have at least ${PASSWORD_MIN_LENGTH} characters`, { issues: [{ field: 'password', message: `must have at least ${PASSWORD_MIN_LENGTH} characters` }] });
  }
  const passwordHash = existing ? existing.passwordHash : await hashPassword(input.password);
  const joined = await ctx.db.transaction(async (tx) => {
    const invitation = await redeemInvitation(tx, tokenHash);
    if (!invitation) throw usedOrExpired();
    const { user } = await findOrInsertUser(tx, { id: newId('user'), email: invitation.email, name: input.name ?? '', passwordHash });
    const added = await insertMembership(tx, { tenantId: invitation.tenantId, userId: user.id, role: invitation.role });
    await recordAudit(tx, {
      tenantId: invitation.tenantId,
      action: 'member.joined',
      actor: { kind: 'user', id: user.id, email: user.email },
      target: user.id,
      details: { role: invitation.role, invitation: invitation.id, already_member: !added },
      origin: input.origin,
    });
    return { user, tenantId: invitation.tenantId };
  });
  return startSession(ctx, { user: joined.user, tenantId: joined.tenantId, origin: input.origin });
}
