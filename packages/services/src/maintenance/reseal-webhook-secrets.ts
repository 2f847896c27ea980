import { findEndpointSecretsToReseal, findJobSecretsToReseal, replaceEndpointSecrets, replaceJobSecret } from '@kontext/db';
import { SealedSecretError } from '@kontext/secrets';
import type { VerbArgs } from '../context.ts';
import { endpointSecretContext, jobSecretContext } from '../webhooks/webhook-secrets.ts';

const BATCH = 200;

/**
 * Seals again, under the current key-encryption key, webhook secrets sealed under an older one
 * (after a key rotation) or stored before sealing existed, a batch at a time. A row changed
 * meanwhile (a secret rotation) is left for the next pass. Once none remain, older key files can
 * be deleted; the pass logs how many it re-sealed.
 */
export async function resealWebhookSecrets({ ctx }: VerbArgs<Record<string, never>>): Promise<{ resealed: number }> {
  const prefix = ctx.secrets.currentPrefix;
  let resealed = 0;
  const unopenable: string[] = [];
  const reseal = async (stored: string, context: string) =>
    ctx.secrets.isCurrent(stored) ? stored : ctx.secrets.seal(await ctx.secrets.open(stored, context), context);
  for (const endpoint of await findEndpointSecretsToReseal(ctx.db, prefix, BATCH)) {
    const context = endpointSecretContext(endpoint.id);
    try {
      const to = {
        secret: await reseal(endpoint.secret, context),
        previousSecret: endpoint.previousSecret ? await reseal(endpoint.previousSecret, context) : null,
      };
      if (await replaceEndpointSecrets(ctx.db, { id: endpoint.id, from: endpoint, to })) resealed += 1;
    } catch (error) {
      if (!(error instanceof SealedSecretError)) throw error;
      unopenable.push(endpoint.id);
    }
  }
  for (const job of await findJobSecretsToReseal(ctx.db, prefix, BATCH)) {
    try {
      const to = await reseal(job.webhookSecret, jobSecretContext(job.id));
      if (await replaceJobSecret(ctx.db, { id: job.id, from: job.webhookSecret, to })) resealed += 1;
    } catch (error) {
      if (!(error instanceof SealedSecretError)) throw error;
      unopenable.push(job.id);
    }
  }
  if (resealed > 0) ctx.log.info('webhook secrets re-sealed under the current key', { resealed });
  // Sealed under a key that is gone: nothing can sign with them; said once per pass, by id.
  if (unopenable.length > 0) ctx.log.warn('webhook secrets that no key here opens', { count: unopenable.length, first: unopenable[0] });
  return { resealed };
}
