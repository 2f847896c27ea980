import { ProblemError } from '@kontext/core';
import { clearSignInFailures, deleteUserTokens, findUserById, listUserTenants, redeemUserToken, replaceUserPassword } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { recordAudit, type RequestOrigin } from './audit.ts';
import { hashPassword } from './passwords.ts';
import { accountFailureSource } from './sign-in.ts';
import { sha256 } from './tokens.ts';

/**
 * Sets a new password from a reset link (once); every session of the user ends, and the account's
 * failed sign-ins are forgotten (a throttled account is told to reset its password).
 */
export async function completePasswordReset({ ctx, input }: VerbArgs<{ token: string; password: string; origin: RequestOrigin }>): Promise<void> {
  const redeemed = await redeemUserToken(ctx.db, sha256(input.token), 'password_reset');
  const user = redeemed ? await findUserById(ctx.db, redeemed.userId) : undefined;
  if (!redeemed || !user) throw new ProblemError('not_found', 'no reset with this link: it was used already or has expired; ask for a new one', { issues: [{ field: 'token', message: 'was used or has expired' }] });
  await replaceUserPassword(ctx.db, user.id, await hashPassword(input.password));
  await deleteUserTokens(ctx.db, user.id, 'password_reset');
  await clearSignInFailures(ctx.db, accountFailureSource(user.email));
  for (const tenant of await listUserTenants(ctx.db, user.id)) {
    await recordAudit(ctx.db, { tenantId: tenant.id, action: 'password.reset', actor: { kind: 'user', id: user.id, email: user.email }, target: user.id, origin: input.origin });
  }
}
