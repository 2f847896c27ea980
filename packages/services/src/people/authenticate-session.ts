import { ProblemError, ROLE_SCOPES } from '@kontext/core';
import { findLiveSession, touchSession, type SessionPrincipalRow } from '@kontext/db';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { errorFields } from '../logger.ts';
import { csrfTokenOf, parseSessionCookie, sameSecret, sha256 } from './tokens.ts';

/** The idle expiry moves at most this often per session: a busy console does not write per request. */
const TOUCH_INTERVAL_SECONDS = 60;

export function sessionEnded(): ProblemError {
  return new ProblemError('unauthorized', 'your session has ended or was signed out; sign in again');
}

export interface AuthenticatedSession {
  principal: AuthenticatedPrincipal;
  /** The session's id and the secret from its cookie, for the CSRF check and presenting the session. */
  id: string;
  secret: string;
  row: SessionPrincipalRow;
}

/**
 * Verifies a session cookie: one lookup by id that also checks both expiries and that the user is
 * still a member of the session's tenant, then the secret's hash compared in constant time. The
 * member's role gives the scopes, read on every request, so a role change applies at once.
 */
export async function authenticateSession({ ctx, input }: VerbArgs<{ cookie: string | undefined }>): Promise<AuthenticatedSession> {
  const parsed = parseSessionCookie(input.cookie);
  if (!parsed) throw sessionEnded();
  const row = await findLiveSession(ctx.db, parsed.id);
  if (!row || !sameSecret(sha256(parsed.secret), row.secretHash)) throw sessionEnded();
  touchSession(ctx.counters, row.id, ctx.settings.people.sessionIdleSeconds, TOUCH_INTERVAL_SECONDS).catch((error: unknown) =>
    ctx.log.warn('could not record session use', { sessionId: row.id, ...errorFields(error) }),
  );
  const principal: AuthenticatedPrincipal = {
    credential: 'session',
    id: row.id,
    tenantId: row.tenantId,
    mode: 'live',
    scopes: ROLE_SCOPES[row.role],
    expiresAt: row.idleExpiresAt,
    requestsPerMinute: row.requestsPerMinute,
    allowedModels: row.allowedModels,
    member: { userId: row.userId, email: row.email, role: row.role },
  };
  return { principal, id: row.id, secret: parsed.secret, row };
}

/** Whether a write made with this session carries its CSRF token. */
export function isValidCsrfToken(session: { secret: string }, token: string | undefined): boolean {
  return token !== undefined && sameSecret(token, csrfTokenOf(session.secret));
}
