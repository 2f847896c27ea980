import { WEBHOOKS_QUEUE, type WebhookRelayMessage } from '@kontext/core';
import { claimRelayedDelivery, reserveRetryForRelay } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { deliverWebhook, type DeliveryOutcome } from './deliver-webhook.ts';

/** The longest delay a queue message can carry (SQS's limit); later retries wait for maintenance. */
const MAX_QUEUE_DELAY_SECONDS = 900;

/**
 * Delivers the webhook a queue message names, if the message still holds its claim (a duplicate
 * or superseded message delivers nothing: 'skipped'). A retry due within the queue's delay limit
 * goes back on the queue as a delayed message; later ones are relayed by maintenance when due.
 */
export async function dispatchRelayedWebhook({ ctx, input }: VerbArgs<WebhookRelayMessage>): Promise<DeliveryOutcome | 'skipped'> {
  const claimSeconds = ctx.settings.webhooks.claimSeconds;
  const delivery = await claimRelayedDelivery(ctx.db, { id: input.deliveryId, relayToken: input.relayToken, claimSeconds });
  if (!delivery) return 'skipped';
  const outcome = await deliverWebhook({ ctx, input: { delivery } });
  if (outcome === 'retrying') {
    const retry = await reserveRetryForRelay(ctx.db, { id: delivery.id, withinSeconds: MAX_QUEUE_DELAY_SECONDS, claimSeconds });
    if (retry) {
      await ctx.queue.send(WEBHOOKS_QUEUE, { deliveryId: retry.id, relayToken: retry.relayToken }, { delaySeconds: retry.delaySeconds });
    }
  }
  return outcome;
}
