import { fieldProblem, ProblemError } from '@kontext/core';
import { grantCredits } from '@kontext/db';
import type { VerbArgs } from '../context.ts';

/** An operator's grant (positive) or debit (negative), ledgered; refused if it would go below zero. */
export async function adjustCredits({
  ctx,
  input,
}: VerbArgs<{ tenantId: string; amount: number; reason: string }>): Promise<{ tenant_id: string; credits: number; reserved: number }> {
  const outcome = await grantCredits(ctx.db, input);
  if (!outcome.applied && outcome.reason === 'not_found') throw new ProblemError('not_found', `no tenant ${input.tenantId}`);
  if (!outcome.applied) {
    // A conflict with the balance as it is now, not an invalid request: the same debit succeeds later.
    throw fieldProblem('amount', `would take the balance of ${outcome.balance} credits below zero`, 'conflict');
  }
  return { tenant_id: input.tenantId, credits: outcome.balance, reserved: outcome.reserved };
}
