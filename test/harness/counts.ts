import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';

export const COUNTED_TABLES = [
  'tenants',
  'api_keys',
  'jobs',
  'assets',
  'job_inputs',
  'credit_ledger',
  'dispatch_outbox',
  'queue_messages',
  'idempotency_keys',
] as const;
export type RowCounts = Record<(typeof COUNTED_TABLES)[number], number>;

/** Rows in every table that a request could write to. */
export async function countRows(databaseUrl: string): Promise<RowCounts> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const counts = {} as RowCounts;
    for (const table of COUNTED_TABLES) {
      const [row] = await sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
      counts[table] = row?.n ?? 0;
    }
    return counts;
  } finally {
    await sql.end();
  }
}

/** Files under a directory, recursively (the filesystem blob store's contents). */
export async function countFiles(directory: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) total += await countFiles(join(directory, entry.name));
    else total += 1;
  }
  return total;
}
