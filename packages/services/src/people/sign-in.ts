import { ProblemError, type SignInRequestSchema } from '@kontext/core';
import type { z } from 'zod';
import { clearSignInFailures, findSignInFailures, findUserByEmail, listUserTenants, recordSignInFailure } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { recordAudit, type RequestOrigin } from './audit.ts';
import { decoyPasswordHash, verifyPassword } from './passwords.ts';
import { startSession, type StartedSession } from './start-session.ts';
import { sha256 } from './tokens.ts';

/** One answer for an unknown email and a wrong password: no oracle for which accounts exist. */
function wrongCredentials(): ProblemError {
  return new ProblemError('unauthorized', 'the email or the password is wrong');
}

export function throttled(retryAfterSeconds: number, limit: 'account' | 'address', limitValue: number): ProblemError {
  const what = limit === 'account' ? 'this account' : 'this address';
  return new ProblemError('rate_limited', `too many failed sign-ins to ${what}; retry in ${retryAfterSeconds} s, or reset the password`, {
    extensions: { limit: `sign_in_failures_per_${limit}`, limit_value: limitValue, retry_after_seconds: retryAfterSeconds },
  });
}

/** Where an account's failed sign-ins are counted: by a hash of its (normalized) address, known account or not. */
export function accountFailureSource(email: string): string {
  return `account:${sha256(email)}`;
}

/**
 * Signs in with email and password. Failures count per account and per client address in one
 * window; past either limit the attempt is refused before the password is checked, so guessing is
 * slow however it is spread. A success clears the account's count.
 */
export async function signIn({ ctx, input }: VerbArgs<{ request: z.output<typeof SignInRequestSchema>; origin: RequestOrigin }>): Promise<StartedSession> {
  const { email, password, tenant_id: tenantId } = input.request;
  const { signInFailureLimit, signInAddressFailureLimit, signInWindowSeconds } = ctx.settings.people;
  const accountSource = accountFailureSource(email);
  const addressSource = `address:${input.origin.clientAddress ?? 'unknown'}`;
  const counts = await findSignInFailures(ctx.db, [accountSource, addressSource], signInWindowSeconds);
  for (const count of counts) {
    const [limit, limitValue] = count.source === accountSource ? (['account', signInFailureLimit] as const) : (['address', signInAddressFailureLimit] as const);
    if (count.failures >= limitValue) {
      ctx.log.warn('sign-in refused: too many failures', { limit, failures: count.failures, clientAddress: input.origin.clientAddress });
      throw throttled(count.resetSeconds, limit, limitValue);
    }
  }
  const user = await findUserByEmail(ctx.db, email);
  const valid = user ? await verifyPassword(password, user.passwordHash) : await verifyPassword(password, await decoyPasswordHash()).then(() => false);
  if (!user || !valid) {
    await recordSignInFailure(ctx.db, [accountSource, addressSource], signInWindowSeconds);
    if (user) {
      for (const tenant of await listUserTenants(ctx.db, user.id)) {
        await recordAudit(ctx.db, { tenantId: tenant.id, action: 'session.sign_in_refused', actor: { kind: 'anonymous' }, target: user.id, details: { reason: 'wrong password' }, origin: input.origin });
      }
    }
    throw wrongCredentials();
  }
  await clearSignInFailures(ctx.db, accountSource);
  return startSession(ctx, { user, tenantId, origin: input.origin, signedInWith: 'password' });
}
