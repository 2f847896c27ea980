import { WEBHOOK_TEST_EVENT, WEBHOOKS_CHANNEL, type WebhookTestEventData } from '@kontext/core';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Database, Executor } from './client.ts';
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from './schema.ts';
import { secondsFromNow } from './intervals.ts';

// Webhook deliveries (written by the trigger `jobs_enqueue_webhooks`, and test events written on
// request) and their attempts: claims by dispatchers, reservations for the webhooks queue, the
// attempt log, and redelivery.

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;

/** Fails what is still pending for an endpoint (deleted or turned off), with the reason. */
export async function failPendingDeliveries(exec: Executor, endpointId: string, reason: string): Promise<void> {
  await exec
    .update(webhookDeliveries)
    .set({ status: 'failed', lastError: reason, claimedUntil: null, relayToken: null })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'pending')));
}

/**
 * Claims due deliveries for one dispatcher: pending, due, and not held by a live claim (an expired
 * claim means its dispatcher died mid-delivery, so the delivery is due again, same webhook-id).
 */
export async function claimDueDeliveries(exec: Executor, limit: number, claimSeconds: number): Promise<WebhookDeliveryRow[]> {
  return exec
    .update(webhookDeliveries)
    .set({ claimedUntil: secondsFromNow(claimSeconds) })
    .where(
      inArray(
        webhookDeliveries.id,
        sql`(SELECT id FROM ${webhookDeliveries}
             WHERE status = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
             ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
      ),
    )
    .returning();
}

export interface RelayReservation {
  id: string;
  relayToken: string;
}

/**
 * Reserves due deliveries for the webhooks queue (the cloud's dispatcher is queue-driven): each
 * gets a claim, so nothing relays or delivers it meanwhile, and a fresh relay token that only the
 * message about to be sent carries. If that message is lost, the claim lapses and the delivery is
 * reserved again with a new token.
 */
export async function reserveDeliveriesForRelay(
  exec: Executor,
  /** `jobId`: only that job's deliveries (a test event's, about no job, never match); `deliveryId`: only that one. */
  options: { jobId?: string; deliveryId?: string; limit: number; claimSeconds: number },
): Promise<RelayReservation[]> {
  const rows = await exec.execute<{ id: string; relay_token: string }>(sql`
    UPDATE webhook_deliveries
    SET claimed_until = now() + make_interval(secs => ${options.claimSeconds}), relay_token = gen_random_uuid()::text
    WHERE id IN (
      SELECT id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
        AND (${options.jobId ?? null}::text IS NULL OR job_id = ${options.jobId ?? null}::text)
        AND (${options.deliveryId ?? null}::text IS NULL OR id = ${options.deliveryId ?? null}::text)
      ORDER BY next_attempt_at LIMIT ${options.limit} FOR UPDATE SKIP LOCKED)
    RETURNING id, relay_token`);
  return rows.map((row) => ({ id: row.id, relayToken: row.relay_token }));
}

/**
 * Reserves a delivery whose next attempt is due within `withinSeconds` for a delayed message, so
 * a short retry is a queue delay rather than a wait for the next maintenance run. The claim lasts
 * until the attempt is due plus `claimSeconds`.
 */
export async function reserveRetryForRelay(
  exec: Executor,
  options: { id: string; withinSeconds: number; claimSeconds: number },
): Promise<(RelayReservation & { delaySeconds: number }) | undefined> {
  const [row] = await exec.execute<{ id: string; relay_token: string; delay_seconds: number }>(sql`
    UPDATE webhook_deliveries
    SET claimed_until = next_attempt_at + make_interval(secs => ${options.claimSeconds}), relay_token = gen_random_uuid()::text
    WHERE id = ${options.id} AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
      AND next_attempt_at <= now() + make_interval(secs => ${options.withinSeconds})
    RETURNING id, relay_token, GREATEST(0, ceil(extract(epoch FROM next_attempt_at - now())))::int AS delay_seconds`);
  return row ? { id: row.id, relayToken: row.relay_token, delaySeconds: row.delay_seconds } : undefined;
}

/**
 * Takes a relayed delivery for delivery: only with the token its message carries, and only while
 * it is still pending. The token is spent, so a duplicate of the message finds nothing.
 */
export async function claimRelayedDelivery(
  exec: Executor,
  options: { id: string; relayToken: string; claimSeconds: number },
): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await exec
    .update(webhookDeliveries)
    .set({ claimedUntil: secondsFromNow(options.claimSeconds), relayToken: null })
    .where(and(eq(webhookDeliveries.id, options.id), eq(webhookDeliveries.relayToken, options.relayToken), eq(webhookDeliveries.status, 'pending')))
    .returning();
  return row;
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  outcome: { status: 'succeeded' } | { status: 'failed' } | { status: 'pending'; retryInSeconds: number };
}

/** Logs an attempt and moves the delivery on (done, failed, or due again later), in one transaction. */
export async function recordDeliveryAttempt(db: Database, record: AttemptRecord): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values({
      deliveryId: record.deliveryId,
      attempt: record.attempt,
      startedAt: record.startedAt,
      durationMs: record.durationMs,
      statusCode: record.statusCode,
      error: record.error,
      responseExcerpt: record.responseExcerpt,
    });
    const { outcome } = record;
    await tx
      .update(webhookDeliveries)
      .set({
        status: outcome.status,
        attempts: record.attempt,
        claimedUntil: null,
        lastStatusCode: record.statusCode,
        lastError: record.error,
        ...(outcome.status === 'succeeded' ? { deliveredAt: sql`now()` } : {}),
        ...(outcome.status === 'pending' ? { nextAttemptAt: secondsFromNow(outcome.retryInSeconds) } : {}),
      })
      .where(and(eq(webhookDeliveries.id, record.deliveryId), eq(webhookDeliveries.status, 'pending')));
  });
}

export interface DeliveryFilter {
  tenantId: string;
  id?: string | undefined;
  jobId?: string | undefined;
  endpointId?: string | undefined;
  status?: 'pending' | 'succeeded' | 'failed' | undefined;
  before?: string | undefined;
  limit: number;
}

export async function listDeliveries(
  exec: Executor,
  filter: DeliveryFilter,
): Promise<{ delivery: WebhookDeliveryRow; attempts: WebhookAttemptRow[] }[]> {
  const deliveries = await exec
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.tenantId, filter.tenantId),
        filter.id ? eq(webhookDeliveries.id, filter.id) : undefined,
        filter.jobId ? eq(webhookDeliveries.jobId, filter.jobId) : undefined,
        filter.endpointId ? eq(webhookDeliveries.endpointId, filter.endpointId) : undefined,
        filter.status ? eq(webhookDeliveries.status, filter.status) : undefined,
        filter.before ? lt(webhookDeliveries.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(filter.limit);
  if (deliveries.length === 0) return [];
  const attempts = await exec
    .select()
    .from(webhookAttempts)
    .where(
      inArray(
        webhookAttempts.deliveryId,
        deliveries.map((d) => d.id),
      ),
    )
    .orderBy(webhookAttempts.id);
  return deliveries.map((delivery) => ({ delivery, attempts: attempts.filter((a) => a.deliveryId === delivery.id) }));
}

/** Sends a delivery again from the start of the schedule, with the same webhook-id. */
export async function requeueDelivery(exec: Executor, tenantId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await exec
    .update(webhookDeliveries)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: sql`now()`, claimedUntil: null, relayToken: null })
    .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, id)))
    .returning();
  if (row) await exec.execute(sql`SELECT pg_notify(${WEBHOOKS_CHANNEL}, '')`);
  return row;
}

export type TestDeliveryInsert =
  | { outcome: 'inserted'; delivery: WebhookDeliveryRow }
  | { outcome: 'not_found' }
  | { outcome: 'disabled'; reason: string | null }
  /** `nextAttemptAt`: the soonest next attempt among the pending ones (when one may finish). */
  | { outcome: 'too_many'; pending: number; nextAttemptAt: Date };

/**
 * Writes a test event's delivery to one of the tenant's endpoints, at its URL, due now: unless the
 * endpoint is not the tenant's, is disabled, or already has `maxPending` test deliveries pending.
 * The endpoint's row is locked for the check and the insert, so concurrent requests count each
 * other (and a delete or a 410 waits, then fails this delivery with the others). NOTIFY wakes the
 * dispatchers at commit.
 */
export async function insertTestDelivery(
  db: Database,
  input: { id: string; tenantId: string; endpointId: string; data: WebhookTestEventData; maxPending: number },
): Promise<TestDeliveryInsert> {
  return db.transaction(async (tx) => {
    const [endpoint] = await tx
      .select({ url: webhookEndpoints.url, disabledAt: webhookEndpoints.disabledAt, disabledReason: webhookEndpoints.disabledReason })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.tenantId, input.tenantId), eq(webhookEndpoints.id, input.endpointId)))
      .for('update');
    if (!endpoint) return { outcome: 'not_found' };
    if (endpoint.disabledAt) return { outcome: 'disabled', reason: endpoint.disabledReason };
    // Literals, not parameters, so the planner matches webhook_deliveries_pending_tests_idx's predicate.
    const [pending] = await tx.execute<{ n: number; soonest: Date | string | null }>(sql`
      SELECT count(*)::int AS n, min(next_attempt_at) AS soonest FROM webhook_deliveries
      WHERE endpoint_id = ${input.endpointId} AND status = 'pending' AND event_type = 'webhook.test'`);
    if (pending && pending.n >= input.maxPending) {
      return { outcome: 'too_many', pending: pending.n, nextAttemptAt: pending.soonest === null ? new Date() : new Date(pending.soonest) };
    }
    const [delivery] = await tx
      .insert(webhookDeliveries)
      .values({ id: input.id, tenantId: input.tenantId, jobId: null, endpointId: input.endpointId, url: endpoint.url, eventType: WEBHOOK_TEST_EVENT, snapshot: input.data })
      .returning();
    if (!delivery) throw new Error('test delivery insert returned no row');
    await tx.execute(sql`SELECT pg_notify(${WEBHOOKS_CHANNEL}, '')`);
    return { outcome: 'inserted', delivery };
  });
}
