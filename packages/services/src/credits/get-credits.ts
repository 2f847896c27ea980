import { ProblemError } from '@kontext/core';
import { findCreditBalances } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';

export async function getCredits({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal }>): Promise<{ credits: number; reserved: number }> {
  requireScope(input.auth, 'credits:read');
  const balances = await findCreditBalances(ctx.db, input.auth.tenantId);
  if (!balances) throw new ProblemError('not_found', 'no such tenant');
  return { credits: balances.available, reserved: balances.reserved };
}
