import { ProblemError } from '@kontext/core';
import { findTenant } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { presentTenant, type PublicTenant } from './present-tenant.ts';

export async function getTenant({ ctx, input }: VerbArgs<{ tenantId: string }>): Promise<PublicTenant> {
  const row = await findTenant(ctx.db, input.tenantId);
  if (!row) throw new ProblemError('not_found', `no tenant ${input.tenantId}`);
  return presentTenant(row);
}
