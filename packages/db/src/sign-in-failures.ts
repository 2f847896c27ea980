import { sql } from 'drizzle-orm';
import type { Executor } from './client.ts';

// Failed sign-ins counted per source (an account, an address) in a fixed window, like the operator
// API's admin_auth_failures: one statement each, so attempts spread over many API processes all count.
// The sources go as one array parameter (sql.param): drizzle's sql template spreads a bare array
// into a parenthesized list, which Postgres cannot cast to text[].

export interface SignInFailureCount {
  source: string;
  failures: number;
  /** Seconds until the source's window ends. */
  resetSeconds: number;
}

/** The current windows' counts of the sources that have any. */
export async function findSignInFailures(exec: Executor, sources: string[], windowSeconds: number): Promise<SignInFailureCount[]> {
  const rows = await exec.execute<{ source: string; failures: number; reset_seconds: number }>(sql`
    SELECT source, failures, ceil(extract(epoch FROM window_started_at + make_interval(secs => ${windowSeconds}) - now()))::int AS reset_seconds
    FROM sign_in_failures
    WHERE source = ANY(${sql.param(sources)}::text[]) AND window_started_at > now() - make_interval(secs => ${windowSeconds})`);
  return rows.map((row) => ({ source: row.source, failures: row.failures, resetSeconds: Math.max(1, row.reset_seconds) }));
}

/** Counts one more failure for each source: a new window where the last one is over. */
export async function recordSignInFailure(exec: Executor, sources: string[], windowSeconds: number): Promise<void> {
  await exec.execute(sql`
    INSERT INTO sign_in_failures AS f (source, failures, window_started_at)
    SELECT s, 1, now() FROM unnest(${sql.param(sources)}::text[]) AS s
    ON CONFLICT (source) DO UPDATE SET
      failures = CASE WHEN f.window_started_at > now() - make_interval(secs => ${windowSeconds}) THEN f.failures + 1 ELSE 1 END,
      window_started_at = CASE WHEN f.window_started_at > now() - make_interval(secs => ${windowSeconds}) THEN f.window_started_at ELSE now() END`);
}

/** A successful sign-in clears its account's count (not its address's: one good password must not unlock guessing others). */
export async function clearSignInFailures(exec: Executor, source: string): Promise<void> {
  await exec.execute(sql`DELETE FROM sign_in_failures WHERE source = ${source}`);
}

export async function purgeSignInFailures(exec: Executor, windowSeconds: number): Promise<number> {
  const rows = await exec.execute(sql`DELETE FROM sign_in_failures WHERE window_started_at < now() - make_interval(secs => ${windowSeconds})`);
  return rows.count;
}
