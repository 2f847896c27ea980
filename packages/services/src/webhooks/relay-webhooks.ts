import { WEBHOOKS_QUEUE } from '@kontext/core';
import { reserveDeliveriesForRelay } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { errorFields } from '../logger.ts';

const BATCH = 100;

/**
 * Hands due webhook deliveries to the webhooks queue, where the cloud's dispatcher picks them up:
 * right after a job changes state (`jobId`), and from maintenance for retries and lost sends.
 * A no-op where a dispatcher reads the outbox itself (one machine). A failed send leaves the
 * delivery's claim to lapse, after which the next relay sends it again.
 */
export async function relayWebhooks({ ctx, input }: VerbArgs<{ jobId?: string; deliveryId?: string }>): Promise<number> {
  if (ctx.queueInJobDatabase) return 0;
  let relayed = 0;
  for (;;) {
    const reserved = await reserveDeliveriesForRelay(ctx.db, {
      ...(input.jobId ? { jobId: input.jobId } : {}),
      ...(input.deliveryId ? { deliveryId: input.deliveryId } : {}),
      limit: BATCH,
      claimSeconds: ctx.settings.webhooks.claimSeconds,
    });
    const sent = await Promise.all(
      reserved.map((delivery) =>
        ctx.queue.send(WEBHOOKS_QUEUE, { deliveryId: delivery.id, relayToken: delivery.relayToken }).then(
          () => true,
          (error: unknown) => {
            ctx.log.warn('webhook relay failed; it is relayed again when its claim lapses', { deliveryId: delivery.id, ...errorFields(error) });
            return false;
          },
        ),
      ),
    );
    relayed += sent.filter(Boolean).length;
    if (reserved.length < BATCH) return relayed;
  }
}

/**
 * relayWebhooks for one job right after its state change commits. Never fails the caller: the
 * change is durable and its deliveries are in the outbox, which maintenance relays if this fails.
 */
export async function relayJobWebhooks(ctx: VerbArgs<unknown>['ctx'], jobId: string): Promise<void> {
  if (ctx.queueInJobDatabase) return;
  await relayWebhooks({ ctx, input: { jobId } }).catch((error: unknown) =>
    ctx.log.warn('webhook relay after a job change failed; maintenance relays it', { jobId, ...errorFields(error) }),
  );
}

/**
 * relayWebhooks for one delivery just written or requeued (a test event, a redelivery), whether or
 * not it is about a job. Never fails the caller: the delivery is in the outbox, which maintenance
 * relays if this fails.
 */
export async function relayDelivery(ctx: VerbArgs<unknown>['ctx'], deliveryId: string): Promise<void> {
  if (ctx.queueInJobDatabase) return;
  await relayWebhooks({ ctx, input: { deliveryId } }).catch((error: unknown) =>
    ctx.log.warn('webhook relay of a delivery failed; maintenance relays it', { deliveryId, ...errorFields(error) }),
  );
}
