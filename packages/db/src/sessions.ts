import { and, desc, eq, gt, lt, ne, sql } from 'drizzle-orm';
import type { MemberRole } from '@kontext/core';
import type { Database, Executor } from './client.ts';
import { memberships, sessions, tenants, users } from './schema.ts';

// Console sessions: stored by id with only a hash of their secret. A session is valid while both
// expiries are ahead and its user is still a member of its tenant, all decided by one lookup.

export type SessionRow = typeof sessions.$inferSelect;

export interface SessionPrincipalRow {
  id: string;
  secretHash: string;
  userId: string;
  email: string;
  userName: string;
  userCreatedAt: Date;
  tenantId: string;
  tenantName: string;
  role: MemberRole;
  requestsPerMinute: number;
  allowedModels: string[] | null;
  idleExpiresAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
}

export async function insertSession(exec: Executor, row: typeof sessions.$inferInsert): Promise<SessionRow> {
  const [inserted] = await exec.insert(sessions).values(row).returning();
  if (!inserted) throw new Error('session insert returned no row');
  return inserted;
}

/** One indexed lookup: the live session with its user, role and the tenant's limits. */
export async function findLiveSession(exec: Executor, id: string): Promise<SessionPrincipalRow | undefined> {
  const [row] = await exec
    .select({
      id: sessions.id,
      secretHash: sessions.secretHash,
      userId: users.id,
      email: users.email,
      userName: users.name,
      userCreatedAt: users.createdAt,
      tenantId: tenants.id,
      tenantName: tenants.name,
      role: memberships.role,
      requestsPerMinute: tenants.requestsPerMinutePerKey,
      allowedModels: tenants.allowedModels,
      idleExpiresAt: sessions.idleExpiresAt,
      expiresAt: sessions.expiresAt,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(memberships, and(eq(memberships.userId, sessions.userId), eq(memberships.tenantId, sessions.tenantId)))
    .innerJoin(tenants, eq(tenants.id, sessions.tenantId))
    .where(and(eq(sessions.id, id), gt(sessions.idleExpiresAt, sql`now()`), gt(sessions.expiresAt, sql`now()`)));
  return row;
}

/**
 * Slides the idle expiry forward (never past the absolute one), at most once per `everySeconds`
 * per session so a busy console does not write on every request. Returns the new idle expiry when it moved.
 */
export async function touchSession(exec: Executor, id: string, idleSeconds: number, everySeconds: number): Promise<Date | undefined> {
  const [row] = await exec
    .update(sessions)
    .set({
      lastSeenAt: sql`now()`,
      idleExpiresAt: sql`least(${sessions.expiresAt}, now() + make_interval(secs => ${idleSeconds}))`,
    })
    .where(and(eq(sessions.id, id), lt(sessions.lastSeenAt, sql`now() - make_interval(secs => ${everySeconds})`)))
    .returning({ idleExpiresAt: sessions.idleExpiresAt });
  return row?.idleExpiresAt;
}

export async function listUserSessions(exec: Executor, userId: string): Promise<SessionRow[]> {
  return exec
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.idleExpiresAt, sql`now()`), gt(sessions.expiresAt, sql`now()`)))
    .orderBy(desc(sessions.lastSeenAt), desc(sessions.id));
}

/** Ends one session of the user; false when there is none by that id (or it is another user's). */
export async function deleteSession(exec: Executor, id: string, userId: string): Promise<boolean> {
  const rows = await exec.delete(sessions).where(and(eq(sessions.id, id), eq(sessions.userId, userId))).returning({ id: sessions.id });
  return rows.length > 0;
}

/** Ends every session of the user, but one if named. */
export async function deleteUserSessions(exec: Executor, userId: string, exceptId?: string): Promise<number> {
  const rows = await exec
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), exceptId ? ne(sessions.id, exceptId) : undefined))
    .returning({ id: sessions.id });
  return rows.length;
}

/** Replaces a session by a new one (a fresh id and secret) in one transaction: switching tenants, changing the password. */
export async function replaceSession(db: Database, oldId: string, row: typeof sessions.$inferInsert): Promise<SessionRow | undefined> {
  return db.transaction(async (tx) => {
    const removed = await tx.delete(sessions).where(and(eq(sessions.id, oldId), eq(sessions.userId, row.userId))).returning({ id: sessions.id });
    if (removed.length === 0) return undefined;
    return insertSession(tx, row);
  });
}

/** Drops ended sessions (maintenance). */
export async function purgeExpiredSessions(exec: Executor): Promise<number> {
  const rows = await exec.execute(sql`DELETE FROM sessions WHERE idle_expires_at < now() OR expires_at < now()`);
  return rows.count;
}
