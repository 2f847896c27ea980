import { findUserById } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import type { RequestOrigin } from './audit.ts';
import { sessionEnded, type AuthenticatedSession } from './authenticate-session.ts';
import { startSession, type StartedSession } from './start-session.ts';

/** Moves the user to another of their tenants with a fresh session (new id, secret and CSRF token). */
export async function switchTenant({ ctx, input }: VerbArgs<{ session: AuthenticatedSession; tenantId: string; origin: RequestOrigin }>): Promise<StartedSession> {
  const user = await findUserById(ctx.db, input.session.row.userId);
  if (!user) throw sessionEnded();
  return startSession(ctx, { user, tenantId: input.tenantId, origin: input.origin, replacing: input.session.id });
}
