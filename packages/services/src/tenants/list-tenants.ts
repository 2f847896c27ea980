import { listTenants as listTenantRows } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { presentTenant, type PublicTenant } from './present-tenant.ts';

/** Tenants in creation order; `next_cursor` continues the listing. */
export async function listTenants({
  ctx,
  input,
}: VerbArgs<{ after?: string | undefined; limit: number }>): Promise<{ data: PublicTenant[]; next_cursor: string | null }> {
  const rows = await listTenantRows(ctx.db, { ...(input.after ? { after: input.after } : {}), limit: input.limit + 1 });
  const page = rows.slice(0, input.limit);
  return { data: page.map(presentTenant), next_cursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}
