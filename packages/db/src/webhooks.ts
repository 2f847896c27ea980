import { WEBHOOKS_CHANNEL } from '@kontext/core';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Database, Executor } from './client.ts';
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from './schema.ts';
import { secondsFromNow } from './intervals.ts';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;

export async function insertWebhookEndpoint(exec: Executor, row: typeof webhookEndpoints.$inferInsert): Promise<WebhookEndpointRow> {
  const [inserted] = await exec.insert(webhookEndpoints).values(row).returning();
  if (!inserted) throw new Error('webhook endpoint insert returned no row');
  return inserted;
}

export async function listWebhookEndpoints(exec: Executor, tenantId: string): Promise<WebhookEndpointRow[]> {
  return exec.select().from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenantId)).orderBy(desc(webhookEndpoints.id));
}

export async function findWebhookEndpoint(exec: Executor, tenantId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await exec
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)));
  return row;
}

export async function updateWebhookEndpoint(
  exec: Executor,
  tenantId: string,
  id: string,
  changes: { url?: string; events?: string[]; description?: string; enable?: boolean },
): Promise<WebhookEndpointRow | undefined> {
  const set = {
    ...(changes.url !== undefined ? { url: changes.url } : {}),
    ...(changes.events !== undefined ? { events: changes.events } : {}),
    ...(changes.description !== undefined ? { description: changes.description } : {}),
    ...(changes.enable ? { disabledAt: null, disabledReason: null } : {}),
  };
  if (Object.keys(set).length === 0) return findWebhookEndpoint(exec, tenantId, id);
  const [row] = await exec
    .update(webhookEndpoints)
    .set(set)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
    .returning();
  return row;
}

/** The new secret signs from now on; the old one keeps signing too until the overlap ends. */
export async function rotateWebhookSecret(
  exec: Executor,
  input: { tenantId: string; id: string; secret: string; overlapSeconds: number },
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await exec
    .update(webhookEndpoints)
    .set({
      previousSecret: sql`${webhookEndpoints.secret}`,
      previousSecretExpiresAt: secondsFromNow(input.overlapSeconds),
      secret: input.secret,
    })
    .where(and(eq(webhookEndpoints.tenantId, input.tenantId), eq(webhookEndpoints.id, input.id)))
    .returning();
  return row;
}

/** Deletes an endpoint; what was still pending for it fails with the reason. */
export async function deleteWebhookEndpoint(db: Database, tenantId: string, id: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const deleted = await tx
      .delete(webhookEndpoints)
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
      .returning({ id: webhookEndpoints.id });
    if (deleted.length === 0) return false;
    await failPendingDeliveries(tx, id, 'the endpoint was deleted');
    return true;
  });
}

/** After a 410: the endpoint stops receiving, and its pending deliveries fail with the reason. */
export async function disableWebhookEndpoint(db: Database, id: string, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(webhookEndpoints)
      .set({ disabledAt: sql`now()`, disabledReason: reason })
      .where(eq(webhookEndpoints.id, id));
    await failPendingDeliveries(tx, id, reason);
  });
}

async function failPendingDeliveries(exec: Executor, endpointId: string, reason: string): Promise<void> {
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
  db: Database,
  options: { jobId?: string; limit: number; claimSeconds: number },
): Promise<RelayReservation[]> {
  const rows = await db.$client<{ id: string; relay_token: string }[]>`
    UPDATE webhook_deliveries
    SET claimed_until = now() + make_interval(secs => ${options.claimSeconds}), relay_token = gen_random_uuid()::text
    WHERE id IN (
      SELECT id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
        AND (${options.jobId ?? null}::text IS NULL OR job_id = ${options.jobId ?? null}::text)
      ORDER BY next_attempt_at LIMIT ${options.limit} FOR UPDATE SKIP LOCKED)
    RETURNING id, relay_token`;
  return rows.map((row) => ({ id: row.id, relayToken: row.relay_token }));
}

/**
 * Reserves a delivery whose next attempt is due within `withinSeconds` for a delayed message, so
 * a short retry is a queue delay rather than a wait for the next maintenance run. The claim lasts
 * until the attempt is due plus `claimSeconds`.
 */
export async function reserveRetryForRelay(
  db: Database,
  options: { id: string; withinSeconds: number; claimSeconds: number },
): Promise<(RelayReservation & { delaySeconds: number }) | undefined> {
  const [row] = await db.$client<{ id: string; relay_token: string; delay_seconds: number }[]>`
    UPDATE webhook_deliveries
    SET claimed_until = next_attempt_at + make_interval(secs => ${options.claimSeconds}), relay_token = gen_random_uuid()::text
    WHERE id = ${options.id} AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
      AND next_attempt_at <= now() + make_interval(secs => ${options.withinSeconds})
    RETURNING id, relay_token, GREATEST(0, ceil(extract(epoch FROM next_attempt_at - now())))::int AS delay_seconds`;
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

/** Endpoints with a secret not sealed under the current key (older key, or stored before sealing). */
export async function findEndpointSecretsToReseal(
  db: Database,
  currentPrefix: string,
  limit: number,
): Promise<{ id: string; secret: string; previousSecret: string | null }[]> {
  return db.$client<{ id: string; secret: string; previousSecret: string | null }[]>`
    SELECT id, secret, previous_secret AS "previousSecret" FROM webhook_endpoints
    WHERE left(secret, ${currentPrefix.length}) <> ${currentPrefix}
       OR (previous_secret IS NOT NULL AND left(previous_secret, ${currentPrefix.length}) <> ${currentPrefix})
    LIMIT ${limit}`;
}

/** Replaces an endpoint's secrets with re-sealed ones, unless they changed meanwhile (a rotation). */
export async function replaceEndpointSecrets(
  db: Database,
  input: { id: string; from: { secret: string; previousSecret: string | null }; to: { secret: string; previousSecret: string | null } },
): Promise<boolean> {
  const rows = await db.$client`
    UPDATE webhook_endpoints SET secret = ${input.to.secret}, previous_secret = ${input.to.previousSecret}
    WHERE id = ${input.id} AND secret = ${input.from.secret} AND previous_secret IS NOT DISTINCT FROM ${input.from.previousSecret}`;
  return rows.count > 0;
}

/** Jobs whose per-request webhook secret is not sealed under the current key. */
export async function findJobSecretsToReseal(db: Database, currentPrefix: string, limit: number): Promise<{ id: string; webhookSecret: string }[]> {
  return db.$client<{ id: string; webhookSecret: string }[]>`
    SELECT id, webhook_secret AS "webhookSecret" FROM jobs
    WHERE webhook_secret IS NOT NULL AND left(webhook_secret, ${currentPrefix.length}) <> ${currentPrefix}
    LIMIT ${limit}`;
}

export async function replaceJobSecret(db: Database, input: { id: string; from: string; to: string }): Promise<boolean> {
  const rows = await db.$client`UPDATE jobs SET webhook_secret = ${input.to} WHERE id = ${input.id} AND webhook_secret = ${input.from}`;
  return rows.count > 0;
}
