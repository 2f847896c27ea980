import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { MemberRole } from '@kontext/core';
import type { Database, Executor } from './client.ts';
import { memberships, sessions, tenants, users } from './schema.ts';

// Users and their memberships of tenants. A tenant always keeps an owner: the statements that
// change or remove a membership check it under a per-tenant lock, so two owners demoting each
// other at once cannot both succeed.

export type UserRow = typeof users.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: MemberRole;
  joinedAt: Date;
}

export interface UserTenantRow {
  id: string;
  name: string;
  role: MemberRole;
}

export async function insertUser(exec: Executor, row: typeof users.$inferInsert): Promise<UserRow> {
  const [inserted] = await exec.insert(users).values(row).returning();
  if (!inserted) throw new Error('user insert returned no row');
  return inserted;
}

/** The user with this (normalized) email, or a new one made from `row`: concurrent accepts make one account. */
export async function findOrInsertUser(exec: Executor, row: typeof users.$inferInsert): Promise<{ user: UserRow; created: boolean }> {
  const [inserted] = await exec.insert(users).values(row).onConflictDoNothing({ target: users.email }).returning();
  if (inserted) return { user: inserted, created: true };
  const existing = await findUserByEmail(exec, row.email);
  if (!existing) throw new Error('user vanished between insert and select');
  return { user: existing, created: false };
}

export async function findUserByEmail(exec: Executor, email: string): Promise<UserRow | undefined> {
  const [row] = await exec.select().from(users).where(eq(users.email, email));
  return row;
}

export async function findUserById(exec: Executor, id: string): Promise<UserRow | undefined> {
  const [row] = await exec.select().from(users).where(eq(users.id, id));
  return row;
}

/** Sets a new password hash and ends every session of the user but `keepSessionId`. */
export async function replaceUserPassword(db: Database, userId: string, passwordHash: string, keepSessionId?: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(users)
      .set({ passwordHash, passwordChangedAt: sql`now()` })
      .where(eq(users.id, userId))
      .returning({ id: users.id });
    if (updated.length === 0) return false;
    await tx.delete(sessions).where(and(eq(sessions.userId, userId), keepSessionId ? ne(sessions.id, keepSessionId) : undefined));
    return true;
  });
}

/** Adds the user to the tenant; an existing membership keeps its role. True when it was added. */
export async function insertMembership(exec: Executor, row: { tenantId: string; userId: string; role: MemberRole }): Promise<boolean> {
  const inserted = await exec.insert(memberships).values(row).onConflictDoNothing().returning({ userId: memberships.userId });
  return inserted.length > 0;
}

export async function findMembership(exec: Executor, tenantId: string, userId: string): Promise<MembershipRow | undefined> {
  const [row] = await exec.select().from(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)));
  return row;
}

export async function listMembers(exec: Executor, tenantId: string): Promise<MemberRow[]> {
  return exec
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.tenantId, tenantId))
    .orderBy(asc(memberships.createdAt), asc(users.id));
}

/** Every tenant the user belongs to, in the order joined. */
export async function listUserTenants(exec: Executor, userId: string): Promise<UserTenantRow[]> {
  return exec
    .select({ id: tenants.id, name: tenants.name, role: memberships.role })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt), asc(tenants.id));
}

export type MembershipChange = { outcome: 'changed'; from: MemberRole } | { outcome: 'not_found' } | { outcome: 'last_owner' };

/** Serializes membership changes within one tenant for the rest of the transaction. */
async function lockTenantMemberships(tx: Executor, tenantId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`memberships:${tenantId}`}, 0))`);
}

/** The role at the start, or undefined; whether another owner remains when this one stops being one. */
async function readUnderLock(tx: Executor, tenantId: string, userId: string): Promise<{ role: MemberRole; otherOwners: number } | undefined> {
  const [row] = await tx.execute<{ role: MemberRole; other_owners: number }>(sql`
    SELECT m.role, (SELECT count(*)::int FROM memberships o WHERE o.tenant_id = m.tenant_id AND o.role = 'owner' AND o.user_id <> m.user_id) AS other_owners
    FROM memberships m WHERE m.tenant_id = ${tenantId} AND m.user_id = ${userId}`);
  return row ? { role: row.role, otherOwners: row.other_owners } : undefined;
}

/** Changes a member's role, refusing to leave the tenant without an owner. */
export async function changeMemberRole(db: Database, tenantId: string, userId: string, role: MemberRole, within?: (tx: Executor, from: MemberRole) => Promise<void>): Promise<MembershipChange> {
  return db.transaction(async (tx) => {
    await lockTenantMemberships(tx, tenantId);
    const current = await readUnderLock(tx, tenantId, userId);
    if (!current) return { outcome: 'not_found' } as const;
    if (current.role === 'owner' && role !== 'owner' && current.otherOwners === 0) return { outcome: 'last_owner' } as const;
    await tx.update(memberships).set({ role }).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)));
    // Sessions read the role on every request (authentication joins the membership): nothing else to change.
    await within?.(tx, current.role);
    return { outcome: 'changed', from: current.role } as const;
  });
}

/** Removes a member and ends their sessions in the tenant, refusing to remove the last owner. */
export async function removeMember(db: Database, tenantId: string, userId: string, within?: (tx: Executor, from: MemberRole) => Promise<void>): Promise<MembershipChange> {
  return db.transaction(async (tx) => {
    await lockTenantMemberships(tx, tenantId);
    const current = await readUnderLock(tx, tenantId, userId);
    if (!current) return { outcome: 'not_found' } as const;
    if (current.role === 'owner' && current.otherOwners === 0) return { outcome: 'last_owner' } as const;
    await tx.delete(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)));
    await tx.delete(sessions).where(and(eq(sessions.tenantId, tenantId), eq(sessions.userId, userId)));
    await within?.(tx, current.role);
    return { outcome: 'changed', from: current.role } as const;
  });
}
