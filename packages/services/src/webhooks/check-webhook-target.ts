import { fieldProblem } from '@kontext/core';
import { checkTarget, GuardedFetchError } from '@kontext/net';
import type { ServiceContext } from '../context.ts';

/** Refuses at registration a URL the dispatcher would refuse at delivery (private, loopback, reserved). */
export async function checkWebhookTarget(ctx: ServiceContext, url: string, field: string): Promise<void> {
  try {
    await checkTarget(url, { allowPrivateNetworks: ctx.settings.webhooks.allowPrivateNetworks, timeoutMs: 5000 });
  } catch (error) {
    if (error instanceof GuardedFetchError) throw fieldProblem(field, error.message);
    throw error;
  }
}
