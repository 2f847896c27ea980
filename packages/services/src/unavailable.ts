import { ProblemError } from '@kontext/core';
import { isDatabaseUnavailable } from '@kontext/db';

/** How soon a client may retry when the database is unreachable: about what a restart takes. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * The problem to answer for a failure that means "the database cannot serve now" (unreachable,
 * restarting, overloaded, a statement timeout): 503 with a retry hint, whichever verb hit it.
 * Undefined for any other failure.
 */
export function unavailableProblemOf(error: unknown): ProblemError | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  return new ProblemError('unavailable', 'the database is unavailable right now; nothing was done, retry shortly', {
    extensions: { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS },
    cause: error,
  });
}
