import type { UserSessionSchema } from '@kontext/core';
import { listUserSessions as listSessionRows } from '@kontext/db';
import type { z } from 'zod';
import { requireMember, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';

export async function listUserSessions({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal }>): Promise<{ data: z.infer<typeof UserSessionSchema>[] }> {
  const member = requireMember(input.auth);
  const rows = await listSessionRows(ctx.db, member.userId);
  return {
    data: rows.map((row) => ({
      id: row.id,
      current: row.id === input.auth.id,
      created_at: row.createdAt.toISOString(),
      last_seen_at: row.lastSeenAt.toISOString(),
      expires_at: row.expiresAt.toISOString(),
      user_agent: row.userAgent,
      client_address: row.clientAddress,
    })),
  };
}
