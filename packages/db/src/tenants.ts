import { eq } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { tenants } from './schema.ts';

export type TenantRow = typeof tenants.$inferSelect;

export async function insertTenant(exec: Executor, row: typeof tenants.$inferInsert): Promise<TenantRow> {
  const [inserted] = await exec.insert(tenants).values(row).returning();
  if (!inserted) throw new Error('tenant insert returned no row');
  return inserted;
}

export async function findTenant(exec: Executor, id: string): Promise<TenantRow | undefined> {
  const [row] = await exec.select().from(tenants).where(eq(tenants.id, id));
  return row;
}
