import type { MemberSchema } from '@kontext/core';
import { listMembers as listMemberRows, type MemberRow } from '@kontext/db';
import type { z } from 'zod';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';

export type PublicMember = z.infer<typeof MemberSchema>;

export function presentMember(row: MemberRow): PublicMember {
  return { user_id: row.userId, email: row.email, name: row.name, role: row.role, joined_at: row.joinedAt.toISOString() };
}

export async function listMembers({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal }>): Promise<{ data: PublicMember[] }> {
  requireScope(input.auth, 'members:read');
  return { data: (await listMemberRows(ctx.db, input.auth.tenantId)).map(presentMember) };
}
