import { ROLE_SCOPES, type MemberRole, type SessionSchema } from '@kontext/core';
import { listUserTenants, type Executor, type UserRow, type UserTenantRow } from '@kontext/db';
import type { z } from 'zod';
import { csrfTokenOf } from './tokens.ts';

export type PublicSession = z.infer<typeof SessionSchema>;

export function presentUser(user: Pick<UserRow, 'id' | 'email' | 'name' | 'createdAt'>): PublicSession['user'] {
  return { id: user.id, email: user.email, name: user.name, created_at: user.createdAt.toISOString() };
}

/** The session as its holder sees it: who, where, what they may do, and the CSRF token for writes. */
export async function presentSession(
  exec: Executor,
  session: { id: string; secret: string; tenantId: string; idleExpiresAt: Date; expiresAt: Date },
  user: Pick<UserRow, 'id' | 'email' | 'name' | 'createdAt'>,
  /** The user's tenants, when the caller has just read them. */
  known?: UserTenantRow[],
): Promise<PublicSession> {
  const tenants = known ?? (await listUserTenants(exec, user.id));
  const current = tenants.find((tenant) => tenant.id === session.tenantId);
  const role: MemberRole = current?.role ?? 'viewer';
  return {
    id: session.id,
    user: presentUser(user),
    tenant: { id: session.tenantId, name: current?.name ?? '', role },
    tenants: tenants.map((tenant) => ({ id: tenant.id, name: tenant.name, role: tenant.role })),
    scopes: [...ROLE_SCOPES[role]],
    csrf_token: csrfTokenOf(session.secret),
    idle_expires_at: session.idleExpiresAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
  };
}
