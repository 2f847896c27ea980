import { newId } from '@kontext/core';
import { insertTenant, type TenantRow } from '@kontext/db';
import { z } from 'zod';
import type { VerbArgs } from '../context.ts';

export const CreateTenantInputSchema = z.object({ name: z.string().trim().min(1).max(200) });

export async function createTenant({ ctx, input }: VerbArgs<z.input<typeof CreateTenantInputSchema>>): Promise<TenantRow> {
  const { name } = CreateTenantInputSchema.parse(input);
  return insertTenant(ctx.db, { id: newId('tenant'), name });
}
