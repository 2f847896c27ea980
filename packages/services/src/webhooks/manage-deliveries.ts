import { isId, ProblemError } from '@kontext/core';
import { listDeliveries, requeueDelivery } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { presentDelivery, type PublicWebhookDelivery } from './present-webhooks.ts';
import { relayDelivery } from './relay-webhooks.ts';

export async function listWebhookDeliveries({
  ctx,
  input,
}: VerbArgs<{
  auth: AuthenticatedPrincipal;
  jobId?: string | undefined;
  endpointId?: string | undefined;
  outcome?: 'pending' | 'succeeded' | 'failed' | undefined;
  cursor?: string | undefined;
  limit: number;
}>): Promise<{ data: PublicWebhookDelivery[]; next_cursor: string | null }> {
  requireScope(input.auth, 'webhooks:read');
  const rows = await listDeliveries(ctx.db, {
    tenantId: input.auth.tenantId,
    jobId: input.jobId,
    endpointId: input.endpointId,
    status: input.outcome,
    before: input.cursor && isId('webhookMessage', input.cursor) ? input.cursor : undefined,
    limit: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  return {
    data: page.map(({ delivery, attempts }) => presentDelivery(delivery, attempts)),
    next_cursor: rows.length > input.limit ? (page.at(-1)?.delivery.id ?? null) : null,
  };
}

/**
 * Sends a delivery again (same webhook-id, the schedule restarted), whatever became of it: a job's
 * event or a test event alike.
 */
export async function redeliverWebhook({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; id: string }>): Promise<PublicWebhookDelivery> {
  requireScope(input.auth, 'webhooks:write');
  const row = isId('webhookMessage', input.id) ? await requeueDelivery(ctx.db, input.auth.tenantId, input.id) : undefined;
  if (!row) throw new ProblemError('not_found', `no webhook delivery ${input.id}`);
  // This delivery, by its id: a test event has no job to relay by.
  await relayDelivery(ctx, row.id);
  const [listed] = await listDeliveries(ctx.db, { tenantId: input.auth.tenantId, id: row.id, limit: 1 });
  return presentDelivery(row, listed?.attempts ?? []);
}
