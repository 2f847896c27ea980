import type { InvitationSchema } from '@kontext/core';
import { listPendingInvitations } from '@kontext/db';
import type { z } from 'zod';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';

export async function listInvitations({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal }>): Promise<{ data: z.infer<typeof InvitationSchema>[] }> {
  requireScope(input.auth, 'members:read');
  const rows = await listPendingInvitations(ctx.db, input.auth.tenantId);
  return {
    data: rows.map((row) => ({
      id: row.id,
      email: row.email,
      role: row.role,
      invited_by: row.invitedBy,
      created_at: row.createdAt.toISOString(),
      expires_at: row.expiresAt.toISOString(),
    })),
  };
}
