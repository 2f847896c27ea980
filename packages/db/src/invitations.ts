import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { invitations, userTokens } from './schema.ts';

// Invitations and the other single-use links (password resets, one-time sign-ins). Only hashes of
// the tokens are stored; redeeming one deletes it in the same statement that finds it, so a link
// works once however many times it is clicked at once.

export type InvitationRow = typeof invitations.$inferSelect;
export type UserTokenRow = typeof userTokens.$inferSelect;

/**
 * Invites an address to a tenant for `expiresInSeconds` from now (the database's now, the clock
 * created_at is stamped by); inviting it again replaces the earlier link (and its role).
 */
export async function upsertInvitation(
  exec: Executor,
  row: Omit<typeof invitations.$inferInsert, 'expiresAt' | 'createdAt'> & { expiresInSeconds: number },
): Promise<InvitationRow> {
  const { expiresInSeconds, ...values } = row;
  const expiresAt = sql`now() + make_interval(secs => ${expiresInSeconds})`;
  const [saved] = await exec
    .insert(invitations)
    .values({ ...values, expiresAt })
    .onConflictDoUpdate({
      target: [invitations.tenantId, invitations.email],
      set: { id: values.id, role: values.role, tokenHash: values.tokenHash, invitedBy: values.invitedBy ?? null, expiresAt, createdAt: sql`now()` },
    })
    .returning();
  if (!saved) throw new Error('invitation upsert returned no row');
  return saved;
}

export async function listPendingInvitations(exec: Executor, tenantId: string): Promise<InvitationRow[]> {
  return exec
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, tenantId), gt(invitations.expiresAt, sql`now()`)))
    .orderBy(asc(invitations.createdAt), asc(invitations.id));
}

export async function deleteInvitation(exec: Executor, tenantId: string, id: string): Promise<InvitationRow | undefined> {
  const [row] = await exec.delete(invitations).where(and(eq(invitations.tenantId, tenantId), eq(invitations.id, id))).returning();
  return row;
}

/** Takes the invitation the token names, if it has not expired: at most one caller gets it. */
export async function redeemInvitation(exec: Executor, tokenHash: string): Promise<InvitationRow | undefined> {
  const [row] = await exec
    .delete(invitations)
    .where(and(eq(invitations.tokenHash, tokenHash), gt(invitations.expiresAt, sql`now()`)))
    .returning();
  return row;
}

export async function insertUserToken(exec: Executor, row: typeof userTokens.$inferInsert): Promise<UserTokenRow> {
  const [inserted] = await exec.insert(userTokens).values(row).returning();
  if (!inserted) throw new Error('user token insert returned no row');
  return inserted;
}

/** Takes a live token of the purpose: at most one caller gets it. */
export async function redeemUserToken(exec: Executor, tokenHash: string, purpose: UserTokenRow['purpose']): Promise<UserTokenRow | undefined> {
  const [row] = await exec
    .delete(userTokens)
    .where(and(eq(userTokens.tokenHash, tokenHash), eq(userTokens.purpose, purpose), gt(userTokens.expiresAt, sql`now()`)))
    .returning();
  return row;
}

/** Voids a user's outstanding tokens of a purpose (a new reset link voids the old ones; a reset voids all). */
export async function deleteUserTokens(exec: Executor, userId: string, purpose: UserTokenRow['purpose']): Promise<number> {
  const rows = await exec.delete(userTokens).where(and(eq(userTokens.userId, userId), eq(userTokens.purpose, purpose))).returning({ id: userTokens.id });
  return rows.length;
}

/** Drops expired invitations and tokens (maintenance). */
export async function purgeExpiredInvitationsAndTokens(exec: Executor): Promise<number> {
  const a = await exec.execute(sql`DELETE FROM invitations WHERE expires_at < now()`);
  const b = await exec.execute(sql`DELETE FROM user_tokens WHERE expires_at < now()`);
  return a.count + b.count;
}

/** The live invitation a token names, without taking it (to check the password before redeeming). */
export async function findInvitationByToken(exec: Executor, tokenHash: string): Promise<InvitationRow | undefined> {
  const [row] = await exec.select().from(invitations).where(and(eq(invitations.tokenHash, tokenHash), gt(invitations.expiresAt, sql`now()`)));
  return row;
}
