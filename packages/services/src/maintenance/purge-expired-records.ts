import {
  purgeAdminAuthFailures,
  purgeExpiredIdempotencyKeys,
  purgeExpiredInvitationsAndTokens,
  purgeExpiredSessions,
  purgeOldJobEvents,
  purgeSignInFailures,
} from '@kontext/db';
import type { VerbArgs } from '../context.ts';

/** Live-status events are for jobs in flight; a week of them is plenty to resume or debug. */
const JOB_EVENT_RETENTION_SECONDS = 7 * 24 * 3600;
const BATCH = 5000;

/**
 * Drops idempotency keys past their 24 hours, old live-status events (a batch at a time), spent
 * authentication-failure windows, and ended sessions, invitations and single-use links.
 */
export async function purgeExpiredRecords({ ctx }: VerbArgs<Record<string, never>>): Promise<{ idempotencyKeys: number; jobEvents: number }> {
  const idempotencyKeys = await purgeExpiredIdempotencyKeys(ctx.db, BATCH);
  const jobEvents = await purgeOldJobEvents(ctx.db, JOB_EVENT_RETENTION_SECONDS, BATCH);
  await purgeAdminAuthFailures(ctx.db, ctx.settings.adminAuthWindowSeconds);
  await purgeSignInFailures(ctx.db, ctx.settings.people.signInWindowSeconds);
  await purgeExpiredSessions(ctx.db);
  await purgeExpiredInvitationsAndTokens(ctx.db);
  return { idempotencyKeys, jobEvents };
}
