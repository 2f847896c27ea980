import { findUserById } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import type { AuthenticatedSession } from './authenticate-session.ts';
import { sessionEnded } from './authenticate-session.ts';
import { presentSession, type PublicSession } from './present-session.ts';

export async function getSession({ ctx, input }: VerbArgs<{ session: AuthenticatedSession }>): Promise<PublicSession> {
  const { row } = input.session;
  const user = await findUserById(ctx.db, row.userId);
  if (!user) throw sessionEnded();
  return presentSession(ctx.db, { id: row.id, secret: input.session.secret, tenantId: row.tenantId, idleExpiresAt: row.idleExpiresAt, expiresAt: row.expiresAt }, user);
}
