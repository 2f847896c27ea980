import { claimDueDeliveries, type WebhookDeliveryRow } from '@kontext/db';
import type { VerbArgs } from '../context.ts';

/** Claims up to `limit` due deliveries for this dispatcher (SKIP LOCKED: dispatchers never share one). */
export async function claimDueWebhooks({ ctx, input }: VerbArgs<{ limit: number }>): Promise<WebhookDeliveryRow[]> {
  return claimDueDeliveries(ctx.db, input.limit, ctx.settings.webhooks.claimSeconds);
}
