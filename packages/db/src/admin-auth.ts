import { sql } from 'drizzle-orm';
import type { Executor } from './client.ts';

// Failed operator-API authentications, counted per source address in a fixed window. One
// statement each, so concurrent attempts from many processes all count.

export interface AuthFailureWindow {
  failures: number;
  /** Seconds until this address's window ends and its count starts again. */
  resetSeconds: number;
}

/** The address's failures in its current window (0 once the window is over). */
export async function findAdminAuthFailures(exec: Executor, source: string, windowSeconds: number): Promise<AuthFailureWindow> {
  const [row] = await exec.execute<{ failures: number; reset_seconds: number }>(sql`
    SELECT failures, ceil(extract(epoch FROM window_started_at + make_interval(secs => ${windowSeconds}) - now()))::int AS reset_seconds
    FROM admin_auth_failures
    WHERE source = ${source} AND window_started_at > now() - make_interval(secs => ${windowSeconds})`);
  return row ? { failures: row.failures, resetSeconds: Math.max(1, row.reset_seconds) } : { failures: 0, resetSeconds: 0 };
}

/** Counts one more failure for the address: a new window if the last one is over. */
export async function recordAdminAuthFailure(exec: Executor, source: string, windowSeconds: number): Promise<AuthFailureWindow> {
  const [row] = await exec.execute<{ failures: number; reset_seconds: number }>(sql`
    INSERT INTO admin_auth_failures AS f (source, failures, window_started_at) VALUES (${source}, 1, now())
    ON CONFLICT (source) DO UPDATE SET
      failures = CASE WHEN f.window_started_at > now() - make_interval(secs => ${windowSeconds}) THEN f.failures + 1 ELSE 1 END,
      window_started_at = CASE WHEN f.window_started_at > now() - make_interval(secs => ${windowSeconds}) THEN f.window_started_at ELSE now() END
    RETURNING failures, ceil(extract(epoch FROM window_started_at + make_interval(secs => ${windowSeconds}) - now()))::int AS reset_seconds`);
  return { failures: row?.failures ?? 1, resetSeconds: Math.max(1, row?.reset_seconds ?? windowSeconds) };
}

/** Drops windows that are over (maintenance). */
export async function purgeAdminAuthFailures(exec: Executor, windowSeconds: number): Promise<number> {
  const rows = await exec.execute(sql`DELETE FROM admin_auth_failures WHERE window_started_at < now() - make_interval(secs => ${windowSeconds})`);
  return rows.count;
}
