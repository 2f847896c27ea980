import { ProblemError, newId } from '@kontext/core';
import { findUserById, insertUserToken, redeemUserToken } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import type { RequestOrigin } from './audit.ts';
import { consoleLink } from './send-mail.ts';
import { startSession, type StartedSession } from './start-session.ts';
import { newLinkToken, sha256 } from './tokens.ts';

/**
 * A one-time sign-in link for a user in a tenant: `npm start` makes one for the local owner at each
 * start, so the console opens without a password. Single use, expiring.
 */
export async function issueSignInLink({ ctx, input }: VerbArgs<{ userId: string; tenantId: string }>): Promise<{ url: string; expiresAt: Date }> {
  const { token, tokenHash } = newLinkToken('sgn');
  const expiresAt = new Date(Date.now() + ctx.settings.people.signInLinkTtlSeconds * 1000);
  await insertUserToken(ctx.db, { id: newId('userToken'), userId: input.userId, purpose: 'sign_in_link', tenantId: input.tenantId, tokenHash, expiresAt });
  return { url: consoleLink(ctx, 'sign-in', token), expiresAt };
}

export async function signInWithLink({ ctx, input }: VerbArgs<{ token: string; origin: RequestOrigin }>): Promise<StartedSession> {
  const redeemed = await redeemUserToken(ctx.db, sha256(input.token), 'sign_in_link');
  const user = redeemed ? await findUserById(ctx.db, redeemed.userId) : undefined;
  if (!redeemed || !user) throw new ProblemError('unauthorized', 'this sign-in link was used already or has expired; sign in with your password');
  return startSession(ctx, { user, tenantId: redeemed.tenantId ?? undefined, origin: input.origin, signedInWith: 'link' });
}
