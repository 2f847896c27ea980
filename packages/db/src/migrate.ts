import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';

/** The checked-in migrations folder, resolved from this file so it works from any working directory. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Applies pending migrations. Safe to run from several processes at once: an advisory lock
 * serialises them, and drizzle skips migrations already recorded.
 */
export async function migrateDatabase(url: string, options: { migrationsFolder?: string } = {}): Promise<void> {
  // One connection for the lock and the migrations: the advisory lock is held by this session.
  const sql = postgres(url, { max: 1, onnotice: () => {}, prepare: false });
  try {
    await sql`SELECT pg_advisory_lock(727274)`;
    await migrate(drizzle(sql), { migrationsFolder: options.migrationsFolder ?? MIGRATIONS_FOLDER });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
