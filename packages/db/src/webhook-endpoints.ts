import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database, Executor } from './client.ts';
import { webhookEndpoints } from './schema.ts';
import { secondsFromNow } from './intervals.ts';
import { failPendingDeliveries } from './webhook-deliveries.ts';

// A tenant's webhook endpoints: their URLs, event filters, rotating secrets, and being turned off.

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;

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

/** Endpoints with a secret not sealed under the current key (older key, or stored before sealing). */
export async function findEndpointSecretsToReseal(
  exec: Executor,
  currentPrefix: string,
  limit: number,
): Promise<{ id: string; secret: string; previousSecret: string | null }[]> {
  return exec.execute<{ id: string; secret: string; previousSecret: string | null }>(sql`
    SELECT id, secret, previous_secret AS "previousSecret" FROM webhook_endpoints
    WHERE left(secret, ${currentPrefix.length}) <> ${currentPrefix}
       OR (previous_secret IS NOT NULL AND left(previous_secret, ${currentPrefix.length}) <> ${currentPrefix})
    LIMIT ${limit}`);
}

/** Replaces an endpoint's secrets with re-sealed ones, unless they changed meanwhile (a rotation). */
export async function replaceEndpointSecrets(
  exec: Executor,
  input: { id: string; from: { secret: string; previousSecret: string | null }; to: { secret: string; previousSecret: string | null } },
): Promise<boolean> {
  const rows = await exec.execute(sql`
    UPDATE webhook_endpoints SET secret = ${input.to.secret}, previous_secret = ${input.to.previousSecret}
    WHERE id = ${input.id} AND secret = ${input.from.secret} AND previous_secret IS NOT DISTINCT FROM ${input.from.previousSecret}`);
  return rows.count > 0;
}
