import { newId, ProblemError, type SignUpRequestSchema } from '@kontext/core';
import { findOrInsertUser, findSignInFailures, findUserByEmail, insertMembership, recordSignInFailure } from '@kontext/db';
import type { z } from 'zod';
import type { VerbArgs } from '../context.ts';
import { createTenant } from '../tenants/create-tenant.ts';
import { recordAudit, type RequestOrigin } from './audit.ts';
import { hashPassword } from './passwords.ts';
import { startSession, type StartedSession } from './start-session.ts';

/** Sign-ups one address may make per window (counted like failed sign-ins, under their own source). */
const SIGN_UPS_PER_ADDRESS = 10;

/**
 * Self-service sign-up (SIGNUP=open): a new tenant with the configured opening grant, the person as
 * its owner, and a session. Off, the route does not exist (404), as an unconfigured operator API.
 */
export async function signUp({ ctx, input }: VerbArgs<{ request: z.output<typeof SignUpRequestSchema>; origin: RequestOrigin }>): Promise<StartedSession> {
  const { people } = ctx.settings;
  if (people.signup !== 'open') throw new ProblemError('not_found', 'sign-up is closed on this deployment; ask for an invitation');
  const source = `signup:${input.origin.clientAddress ?? 'unknown'}`;
  const [count] = await findSignInFailures(ctx.db, [source], people.signInWindowSeconds);
  if (count && count.failures >= SIGN_UPS_PER_ADDRESS) {
    throw new ProblemError('rate_limited', `too many sign-ups from this address; retry in ${count.resetSeconds} s`, {
      extensions: { limit: 'sign_ups_per_address', limit_value: SIGN_UPS_PER_ADDRESS, retry_after_seconds: count.resetSeconds },
    });
  }
  await recordSignInFailure(ctx.db, [source], people.signInWindowSeconds);
  const { request } = input;
  const taken = () =>
    new ProblemError('conflict', `${request.email} has an account already: sign in, or reset its password`, { issues: [{ field: 'email', message: 'has an account already' }] });
  if (await findUserByEmail(ctx.db, request.email)) throw taken();
  const passwordHash = await hashPassword(request.password);
  const { user, tenant } = await ctx.db.transaction(async (tx) => {
    // The account first, before the tenant: a second sign-up with the address at once (a double
    // submit) waits on this row's unique index, then finds it taken (409), and makes no tenant.
    const inserted = await findOrInsertUser(tx, { id: newId('user'), email: request.email, name: request.name ?? '', passwordHash });
    if (!inserted.created) throw taken();
    const created = await createTenant({ ctx, input: { name: request.tenant_name, credits: people.signupCredits } });
    await insertMembership(tx, { tenantId: created.id, userId: inserted.user.id, role: 'owner' });
    await recordAudit(tx, { tenantId: created.id, action: 'tenant.created', actor: { kind: 'user', id: inserted.user.id, email: inserted.user.email }, target: created.id, details: { via: 'sign-up', credits: people.signupCredits }, origin: input.origin });
    return { user: inserted.user, tenant: created };
  });
  return startSession(ctx, { user, tenantId: tenant.id, origin: input.origin });
}
