import { sql } from 'drizzle-orm';
import type { VerbArgs } from '../context.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: 'ok' | 'unreachable';
}

export async function checkHealth({ ctx }: VerbArgs<Record<string, never>>): Promise<HealthReport> {
  try {
    await ctx.db.execute(sql`SELECT 1`);
    return { status: 'ok', database: 'ok' };
  } catch {
    return { status: 'degraded', database: 'unreachable' };
  }
}
