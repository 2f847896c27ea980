import { findTenantJobWithOutput, findWebhookEndpoint, disableWebhookEndpoint, recordDeliveryAttempt, type WebhookDeliveryRow } from '@kontext/db';
import { guardedPost, GuardedFetchError } from '@kontext/net';
import type { VerbArgs } from '../context.ts';
import { renderWebhookBody } from './render-webhook-body.ts';
import { signatureHeader } from './signing.ts';
import { openEndpointSecret, openJobSecret } from './webhook-secrets.ts';

export type DeliveryOutcome = 'succeeded' | 'retrying' | 'failed' | 'disabled';

/**
 * One attempt of one delivery: render, sign, POST (through the SSRF guard, no redirects followed,
 * bounded time and response), log the attempt, and decide: 2xx is done; 410 disables the endpoint;
 * anything else (3xx included) is retried on the schedule, later if the receiver asks with
 * Retry-After, until the schedule runs out.
 */
export async function deliverWebhook({ ctx, input }: VerbArgs<{ delivery: WebhookDeliveryRow }>): Promise<DeliveryOutcome> {
  const { delivery } = input;
  const settings = ctx.settings.webhooks;
  // A test event is about no job.
  const job = delivery.jobId === null ? undefined : await findTenantJobWithOutput(ctx.db, delivery.tenantId, delivery.jobId);
  const body = await renderWebhookBody(ctx, delivery, job);

  let secrets: string[] = [];
  if (delivery.endpointId) {
    const endpoint = await findWebhookEndpoint(ctx.db, delivery.tenantId, delivery.endpointId);
    if (!endpoint) {
      // Deleted since (a redelivery of an old delivery): without its secret the message could
      // only go out unsigned, to a URL its owner gave up. Nothing is sent.
      await recordDeliveryAttempt(ctx.db, {
        deliveryId: delivery.id,
        attempt: delivery.attempts + 1,
        startedAt: new Date(),
        durationMs: 0,
        statusCode: null,
        error: 'the endpoint was deleted; nothing was sent',
        responseExcerpt: null,
        outcome: { status: 'failed' },
      });
      ctx.log.info('webhook attempt', { deliveryId: delivery.id, jobId: delivery.jobId, eventType: delivery.eventType, outcome: 'failed', reason: 'endpoint deleted' });
      return 'failed';
    }
    secrets = [await openEndpointSecret(ctx, endpoint.id, endpoint.secret)];
    if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > new Date()) {
      secrets.push(await openEndpointSecret(ctx, endpoint.id, endpoint.previousSecret));
    }
  } else if (job?.job.webhookSecret) {
    secrets = [(await openJobSecret(ctx, job.job.id, job.job.webhookSecret))!];
  }

  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
  };
  if (secrets.length > 0) headers['webhook-signature'] = signatureHeader(delivery.id, timestamp, body, secrets);

  const attempt = delivery.attempts + 1;
  const startedAt = new Date();
  let statusCode: number | null = null;
  let error: string | null = null;
  let excerpt: string | null = null;
  let retryAfterSeconds: number | null = null;
  try {
    const response = await guardedPost(delivery.url, body, {
      allowPrivateNetworks: settings.allowPrivateNetworks,
      timeoutMs: settings.timeoutMs,
      maxResponseBytes: settings.maxResponseBytes,
      headers,
    });
    statusCode = response.status;
    excerpt = response.excerpt || null;
    retryAfterSeconds = parseRetryAfter(response.headers['retry-after']);
    if (statusCode >= 300 && statusCode < 400) error = `the receiver answered ${statusCode} (redirects are not followed)`;
    else if (statusCode < 200 || statusCode >= 300) error = `the receiver answered ${statusCode}`;
  } catch (caught) {
    if (!(caught instanceof GuardedFetchError)) throw caught;
    error = caught.message;
  }
  const durationMs = Date.now() - startedAt.getTime();

  let outcome: DeliveryOutcome;
  let next: Parameters<typeof recordDeliveryAttempt>[1]['outcome'];
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
    outcome = 'succeeded';
    next = { status: 'succeeded' };
  } else if (statusCode === 410) {
    outcome = delivery.endpointId ? 'disabled' : 'failed';
    next = { status: 'failed' };
  } else {
    const scheduled = settings.retryScheduleSeconds[attempt - 1];
    if (scheduled === undefined) {
      outcome = 'failed';
      next = { status: 'failed' };
    } else {
      const jitter = 1 + (Math.random() * 2 - 1) * settings.retryJitter;
      outcome = 'retrying';
      next = { status: 'pending', retryInSeconds: Math.max(scheduled * jitter, retryAfterSeconds ?? 0) };
    }
  }
  await recordDeliveryAttempt(ctx.db, {
    deliveryId: delivery.id,
    attempt,
    startedAt,
    durationMs,
    statusCode,
    error,
    responseExcerpt: excerpt,
    outcome: next,
  });
  if (outcome === 'disabled' && delivery.endpointId) {
    await disableWebhookEndpoint(ctx.db, delivery.endpointId, 'the receiver answered 410 Gone');
  }
  ctx.log.info('webhook attempt', { deliveryId: delivery.id, jobId: delivery.jobId, eventType: delivery.eventType, attempt, statusCode, outcome, ms: durationMs });
  return outcome;
}

/** Retry-After in seconds, from delta-seconds or an HTTP date; capped at a day. */
function parseRetryAfter(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text) : (Date.parse(text) - Date.now()) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 86_400) : null;
}
