import { openCloudRuntime } from '@kontext/cloud';
import { WebhookRelayMessageSchema } from '@kontext/core';
import { dispatchRelayedWebhook, errorFields, platformSettingsOf } from '@kontext/services';
import { DISPATCHER_LAMBDA_SETTINGS, readSettings } from '@kontext/settings';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

// The webhook dispatcher as a Lambda function on the webhooks queue (SQS event source with
// partial batch failures). Each message names one delivery and carries the token that lets it
// claim it; the deliveries of a batch run concurrently, each bounded by the webhook timeout.

const env = readSettings(DISPATCHER_LAMBDA_SETTINGS, process.env);
const runtime = await openCloudRuntime(env, { service: 'dispatcher', settings: platformSettingsOf(env) });
const { ctx, log } = runtime;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failed: string[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const message = WebhookRelayMessageSchema.safeParse(body);
      if (!message.success) {
        // Retrying cannot fix a malformed message: drop it (it is logged, not redriven forever).
        log.error('malformed webhook relay message dropped', { messageId: record.messageId });
        return;
      }
      try {
        await dispatchRelayedWebhook({ ctx, input: message.data });
      } catch (error) {
        // SQS retries only this message. If the delivery was already claimed with its token, the
        // retry finds nothing to do and maintenance relays the delivery when that claim lapses.
        log.error('webhook dispatch failed', { messageId: record.messageId, deliveryId: message.data.deliveryId, ...errorFields(error) });
        failed.push(record.messageId);
      }
    }),
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
