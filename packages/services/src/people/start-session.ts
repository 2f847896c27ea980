import { ProblemError } from '@kontext/core';
import { insertSession, listUserTenants, replaceSession, type UserRow } from '@kontext/db';
import type { ServiceContext } from '../context.ts';
import { recordAudit, type RequestOrigin } from './audit.ts';
import { presentSession, type PublicSession } from './present-session.ts';
import { newSessionCredential } from './tokens.ts';

export interface StartedSession {
  /** For the cookie, and nowhere else. */
  cookieValue: string;
  /** The cookie's lifetime: the session's absolute end. */
  expiresAt: Date;
  session: PublicSession;
}

/**
 * A new session for the user in one of their tenants (the one asked for, else the first joined),
 * or in place of `replacing` (a fresh id and secret on a tenant switch or a password change).
 */
export async function startSession(
  ctx: ServiceContext,
  input: {
    user: UserRow;
    tenantId?: string | undefined;
    origin: RequestOrigin;
    replacing?: string;
    /** How the person proved who they are, recorded as `session.signed_in` (not for a switch or a password change). */
    signedInWith?: 'password' | 'link';
  },
): Promise<StartedSession> {
  const tenants = await listUserTenants(ctx.db, input.user.id);
  const tenant = input.tenantId ? tenants.find((candidate) => candidate.id === input.tenantId) : tenants[0];
  if (!tenant) {
    throw input.tenantId
      ? new ProblemError('not_found', `you are not a member of tenant ${input.tenantId}`)
      : new ProblemError('forbidden', 'this account is not a member of any team any more; ask an owner for an invitation');
  }
  const credential = newSessionCredential();
  const { sessionIdleSeconds, sessionMaxSeconds } = ctx.settings.people;
  const now = Date.now();
  const expiresAt = new Date(now + sessionMaxSeconds * 1000);
  const row = {
    id: credential.id,
    userId: input.user.id,
    tenantId: tenant.id,
    secretHash: credential.secretHash,
    idleExpiresAt: new Date(Math.min(now + sessionIdleSeconds * 1000, expiresAt.getTime())),
    expiresAt,
    userAgent: input.origin.userAgent?.slice(0, 300) ?? null,
    clientAddress: input.origin.clientAddress,
  };
  const saved = input.replacing ? await replaceSession(ctx.db, input.replacing, row) : await insertSession(ctx.db, row);
  if (!saved) throw new ProblemError('unauthorized', 'your session has ended; sign in again');
  const session = await presentSession(ctx.db, { ...saved, secret: credential.secret }, input.user, tenants);
  if (input.signedInWith) {
    await recordAudit(ctx.db, {
      tenantId: tenant.id,
      action: 'session.signed_in',
      actor: { kind: 'user', id: input.user.id, email: input.user.email },
      target: saved.id,
      details: { method: input.signedInWith },
      origin: input.origin,
    });
  }
  return { cookieValue: credential.cookieValue, expiresAt: saved.expiresAt, session };
}
