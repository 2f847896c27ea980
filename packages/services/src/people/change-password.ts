import { ProblemError } from '@kontext/core';
import { clearSignInFailures, deleteUserSessions, deleteUserTokens, findSignInFailures, findUserById, listUserTenants, recordSignInFailure, replaceUserPassword } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { recordAudit, type RequestOrigin } from './audit.ts';
import { sessionEnded, type AuthenticatedSession } from './authenticate-session.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { accountFailureSource, throttled } from './sign-in.ts';
import { startSession, type StartedSession } from './start-session.ts';

/**
 * Changes the password after checking the current one. Every session of the user ends (a thief's
 * included) and outstanding reset links are voided; the caller continues in a fresh session.
 */
export async function changePassword({
  ctx,
  input,
}: VerbArgs<{ session: AuthenticatedSession; currentPassword: string; newPassword: string; origin: RequestOrigin }>): Promise<StartedSession> {
  const user = await findUserById(ctx.db, input.session.row.userId);
  if (!user) throw sessionEnded();
  // A wrong current password is a failed sign-in of the account, counted and limited with them:
  // a stolen cookie must not guess the password faster than the sign-in form allows.
  const { signInFailureLimit, signInWindowSeconds } = ctx.settings.people;
  const source = accountFailureSource(user.email);
  const [failures] = await findSignInFailures(ctx.db, [source], signInWindowSeconds);
  if (failures && failures.failures >= signInFailureLimit) throw throttled(failures.resetSeconds, 'account', signInFailureLimit);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    await recordSignInFailure(ctx.db, [source], signInWindowSeconds);
    throw new ProblemError('forbidden', 'the current password is wrong', { issues: [{ field: 'current_password', message: 'is wrong' }] });
  }
  await clearSignInFailures(ctx.db, source);
  await replaceUserPassword(ctx.db, user.id, await hashPassword(input.newPassword), input.session.id);
  await deleteUserTokens(ctx.db, user.id, 'password_reset');
  const started = await startSession(ctx, { user, tenantId: input.session.row.tenantId, origin: input.origin, replacing: input.session.id });
  for (const tenant of await listUserTenants(ctx.db, user.id)) {
    await recordAudit(ctx.db, { tenantId: tenant.id, action: 'password.changed', actor: { kind: 'user', id: user.id, email: user.email }, target: user.id, origin: input.origin });
  }
  // replaceUserPassword kept the calling session so it could be replaced; nothing else survives.
  await deleteUserSessions(ctx.db, user.id, started.session.id);
  return started;
}
