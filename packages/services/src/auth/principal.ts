import { ProblemError, type ApiKeyScope, type MemberRole } from '@kontext/core';

/**
 * Who is calling, however they proved it: an API key, or a console session of a member. Both
 * become this one shape, and every route authorizes it the same way (`requireScope`), so a session
 * can do exactly what a key with its role's scopes could.
 */
export interface AuthenticatedPrincipal {
  credential: 'api_key' | 'session';
  /** The key's or the session's id: what the rate limit counts against. */
  id: string;
  tenantId: string;
  /** Sessions act live (they see the tenant's test jobs too, as keys do). */
  mode: 'live' | 'test';
  scopes: readonly string[];
  /** When the credential stops working, if scheduled (a rotated key's grace end, a session's idle end). */
  expiresAt: Date | null;
  requestsPerMinute: number;
  allowedModels: string[] | null;
  /** The signed-in member, for sessions; null for API keys. */
  member: { userId: string; email: string; role: MemberRole } | null;
}

/** 403 unless the principal carries the scope: the first line of every scoped operation. */
export function requireScope(auth: AuthenticatedPrincipal, scope: ApiKeyScope): void {
  if (auth.scopes.includes(scope)) return;
  const detail = auth.member
    ? `your role (${auth.member.role}) does not include the ${scope} scope; an owner or admin can change it`
    : `this API key lacks the ${scope} scope`;
  throw new ProblemError('forbidden', detail, { extensions: { required_scope: scope } });
}

/** 403 unless a signed-in person is calling: account operations have no meaning for an API key. */
export function requireMember(auth: AuthenticatedPrincipal): NonNullable<AuthenticatedPrincipal['member']> {
  if (auth.member) return auth.member;
  throw new ProblemError('forbidden', 'this operation is for a signed-in person (a console session), not an API key');
}
