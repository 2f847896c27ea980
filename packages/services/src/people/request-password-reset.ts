import { newId, ProblemError } from '@kontext/core';
import { deleteUserTokens, findSignInFailures, findUserByEmail, insertUserToken, recordSignInFailure } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import type { RequestOrigin } from './audit.ts';
import { consoleLink, sendMail } from './send-mail.ts';
import { newLinkToken, sha256 } from './tokens.ts';

/** Reset requests one client address may make per window: past it, 429. */
export const RESET_REQUESTS_PER_ADDRESS = 20;
/** Reset mails one account gets per window: past it, requests still answer 202 but mail nothing (no inbox flooding, no oracle). */
export const RESET_MAILS_PER_ACCOUNT = 3;

/**
 * Mails a reset link when the address has an account; says nothing either way (the caller always
 * answers 202), so the form tells nobody which addresses have accounts. A new link voids older ones.
 */
export async function requestPasswordReset({ ctx, input }: VerbArgs<{ email: string; origin: RequestOrigin }>): Promise<void> {
  const window = ctx.settings.people.signInWindowSeconds;
  const addressSource = `reset-address:${input.origin.clientAddress ?? 'unknown'}`;
  const accountSource = `reset-account:${sha256(input.email)}`;
  const counts = await findSignInFailures(ctx.db, [addressSource, accountSource], window);
  const address = counts.find((count) => count.source === addressSource);
  if (address && address.failures >= RESET_REQUESTS_PER_ADDRESS) {
    throw new ProblemError('rate_limited', `too many password reset requests from this address; retry in ${address.resetSeconds} s`, {
      extensions: { limit: 'password_resets_per_address', limit_value: RESET_REQUESTS_PER_ADDRESS, retry_after_seconds: address.resetSeconds },
    });
  }
  // Counted whether or not the address has an account, so the counts tell nothing either.
  await recordSignInFailure(ctx.db, [addressSource, accountSource], window);
  const account = counts.find((count) => count.source === accountSource);
  if (account && account.failures >= RESET_MAILS_PER_ACCOUNT) return;
  const user = await findUserByEmail(ctx.db, input.email);
  if (!user) return;
  const { token, tokenHash } = newLinkToken('pwr');
  const ttl = ctx.settings.people.passwordResetTtlSeconds;
  await ctx.db.transaction(async (tx) => {
    await deleteUserTokens(tx, user.id, 'password_reset');
    await insertUserToken(tx, { id: newId('userToken'), userId: user.id, purpose: 'password_reset', tenantId: null, tokenHash, expiresAt: new Date(Date.now() + ttl * 1000) });
  });
  const link = consoleLink(ctx, 'reset-password', token);
  await sendMail(ctx, {
    to: user.email,
    subject: 'Reset your Kontext password',
    text: `Someone asked to reset the password of ${user.email}.\n\nSet a new password here (the link works once, for ${Math.round(ttl / 60)} minutes):\n${link}\n\nIf it was not you, ignore this message: your password stays as it is.\n`,
    link,
  });
}
