import type { Database } from './client.ts';

// Per-credential (API key or console session) request rate limiting with GCRA (the generic cell rate algorithm), one statement per
// request against a shared row, so the limit holds across any number of API processes. With a
// limit of L per minute each request advances the key's theoretical arrival time (TAT) by 60/L
// seconds; a request is allowed while the TAT stays within a minute of now, which permits a burst
// of L from idle and then a steady L per minute.

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the key is back to its full allowance. */
  resetSeconds: number;
  /** Seconds until the next request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

const WINDOW_MS = 60_000;

// On every request: the raw client's tagged template runs as a prepared statement (drizzle's
// execute() does not prepare), and the limit never needs to share a caller's transaction.
export async function consumeRateLimit(db: Database, credentialId: string, perMinute: number): Promise<RateLimitDecision> {
  const interval = WINDOW_MS / perMinute;
  const [row] = await db.$client<{ allowed_ms: number | null; current_ms: number | null }[]>`
    WITH taken AS (
      INSERT INTO credential_rate_limits AS r (credential_id, theoretical_arrival)
      VALUES (${credentialId}::text, now() + make_interval(secs => ${interval / 1000}::float8))
      ON CONFLICT (credential_id) DO UPDATE
        SET theoretical_arrival = GREATEST(r.theoretical_arrival, now()) + make_interval(secs => ${interval / 1000}::float8)
        WHERE GREATEST(r.theoretical_arrival, now()) + make_interval(secs => ${interval / 1000}::float8)
              <= now() + make_interval(secs => ${WINDOW_MS / 1000}::float8)
      RETURNING theoretical_arrival
    )
    SELECT (SELECT extract(epoch FROM theoretical_arrival - now()) * 1000 FROM taken)::float8 AS allowed_ms,
           (SELECT extract(epoch FROM theoretical_arrival - now()) * 1000 FROM credential_rate_limits
             WHERE credential_id = ${credentialId}::text)::float8 AS current_ms`;
  if (row?.allowed_ms != null) {
    const ahead = Math.max(0, row.allowed_ms);
    return {
      allowed: true,
      limit: perMinute,
      remaining: Math.max(0, Math.floor((WINDOW_MS - ahead) / interval + 1e-9)),
      resetSeconds: Math.ceil(ahead / 1000),
      retryAfterSeconds: 0,
    };
  }
  const ahead = Math.max(0, row?.current_ms ?? WINDOW_MS);
  return {
    allowed: false,
    limit: perMinute,
    remaining: 0,
    resetSeconds: Math.ceil(ahead / 1000),
    retryAfterSeconds: Math.max(1, Math.ceil((ahead + interval - WINDOW_MS) / 1000)),
  };
}

/** Gives back one request's allowance (a request that another limit refused did not use the rate). */
export async function refundRateLimit(db: Database, credentialId: string, perMinute: number): Promise<void> {
  await db.$client`
    UPDATE credential_rate_limits
    SET theoretical_arrival = theoretical_arrival - make_interval(secs => ${WINDOW_MS / perMinute / 1000}::float8)
    WHERE credential_id = ${credentialId}::text`;
}
