import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DEFAULT_SQS_NAME_PREFIX } from '@kontext/core';
import { deadLetterQueueName, isDeadLetterQueue, type JsonValue, type MessageQueue, type ReceivedMessage, type ReceiveOptions } from './port.ts';

// The SQS adapter: one SQS queue per logical queue name, dead-lettering by the queue's own
// RedrivePolicy. Production queues are created by the CDK app; `provision` creates missing ones
// for development and tests. Concurrent sends to one queue are coalesced into SendMessageBatch.

export interface SqsQueueOptions {
  client: SQSClient;
  /** Prepended to every physical queue name (default 'kontext-'). */
  namePrefix?: string;
  /** Logical name -> queue URL, for queues whose URL is known up front (no GetQueueUrl call). */
  queueUrls?: Record<string, string>;
  /** Development and tests only: create a missing queue, and its `.dlq` with a redrive policy. */
  provision?: { maxReceiveCount: number; visibilityTimeoutSeconds?: number };
}

// Declared in core, beside the queues' logical names, so the settings can default to it.
export { DEFAULT_SQS_NAME_PREFIX };

// SQS limits (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;
const MAX_MESSAGES_PER_RECEIVE = 10;
const MAX_ENTRIES_PER_BATCH = 10;
// The long-standing batch payload limit; newer accounts allow more, but this is safe everywhere.
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_QUEUE_NAME_LENGTH = 80;

/** The SQS queue name for a logical name: SQS names allow only [A-Za-z0-9_-], so `.dlq` becomes `-dlq`. */
export function sqsQueueName(logical: string, namePrefix: string = DEFAULT_SQS_NAME_PREFIX): string {
  const physical = `${namePrefix}${logical.replaceAll('.', '-')}`;
  if (physical.length > MAX_QUEUE_NAME_LENGTH || !/^[A-Za-z0-9_-]+$/.test(physical)) {
    throw new Error(`queue name ${JSON.stringify(logical)} does not map to a valid SQS queue name (${JSON.stringify(physical)})`);
  }
  return physical;
}

interface PendingSend {
  body: string;
  delaySeconds: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class SqsQueue implements MessageQueue {
  readonly #client: SQSClient;
  readonly #namePrefix: string;
  readonly #provision: SqsQueueOptions['provision'];
  readonly #urls = new Map<string, Promise<string>>();
  /** Sends waiting for the end of the current tick, per logical queue. */
  readonly #pendingSends = new Map<string, PendingSend[]>();
  readonly #inFlightFlushes = new Set<Promise<void>>();
  readonly #activeReceives = new Set<AbortController>();
  #closed = false;

  constructor(options: SqsQueueOptions) {
    this.#client = options.client;
    this.#namePrefix = options.namePrefix ?? DEFAULT_SQS_NAME_PREFIX;
    this.#provision = options.provision;
    for (const [logical, url] of Object.entries(options.queueUrls ?? {})) this.#urls.set(logical, Promise.resolve(url));
  }

  send(queue: string, body: JsonValue, options: { delaySeconds?: number } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // SQS delays a message by at most 15 minutes; longer delays are cut to that, never refused.
      const delaySeconds = clamp(options.delaySeconds ?? 0, 0, MAX_DELAY_SECONDS);
      const entry: PendingSend = { body: JSON.stringify(body), delaySeconds, resolve, reject };
      const pending = this.#pendingSends.get(queue);
      if (pending) {
        pending.push(entry);
        return;
      }
      this.#pendingSends.set(queue, [entry]);
      setImmediate(() => this.#flush(queue));
    });
  }

  async receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    if (this.#closed || options.signal?.aborted) return [];
    // One controller per call, aborted by the caller's signal or by close().
    const controller = new AbortController();
    const forwardAbort = () => controller.abort();
    options.signal?.addEventListener('abort', forwardAbort, { once: true });
    this.#activeReceives.add(controller);
    try {
      const QueueUrl = await this.#queueUrl(queue);
      if (controller.signal.aborted) return [];
      const output = await this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: clamp(options.maxMessages, 1, MAX_MESSAGES_PER_RECEIVE),
          WaitTimeSeconds: clamp(options.waitSeconds, 0, MAX_WAIT_SECONDS),
          VisibilityTimeout: clamp(options.visibilitySeconds, 0, MAX_VISIBILITY_SECONDS),
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        { abortSignal: controller.signal },
      );
      return (output.Messages ?? []).map(toReceivedMessage);
    } catch (error) {
      // An aborted long poll is a normal way to stop waiting, not a failure.
      if (controller.signal.aborted) return [];
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', forwardAbort);
      this.#activeReceives.delete(controller);
    }
  }

  async extendVisibility(queue: string, receipt: string, seconds: number): Promise<boolean> {
    return this.#changeVisibility(queue, receipt, seconds);
  }

  async ack(queue: string, receipt: string): Promise<void> {
    const QueueUrl = await this.#queueUrl(queue);
    try {
      await this.#client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: receipt }));
    } catch (error) {
      // At-least-once: an ack may come after the message was deleted or its receipt expired; nothing is left to do.
      if (!isStaleReceiptError(error)) throw error;
    }
  }

  async release(queue: string, receipt: string, delaySeconds = 0): Promise<void> {
    await this.#changeVisibility(queue, receipt, delaySeconds);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const receive of this.#activeReceives) receive.abort();
    for (const queue of [...this.#pendingSends.keys()]) this.#flush(queue);
    await Promise.allSettled([...this.#inFlightFlushes]);
  }

  /** False when the receipt no longer names an in-flight delivery. */
  async #changeVisibility(queue: string, receipt: string, seconds: number): Promise<boolean> {
    const QueueUrl = await this.#queueUrl(queue);
    try {
      await this.#client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: receipt, VisibilityTimeout: clamp(seconds, 0, MAX_VISIBILITY_SECONDS) }),
      );
      return true;
    } catch (error) {
      if (isStaleReceiptError(error)) return false;
      throw error;
    }
  }

  #flush(queue: string): void {
    const pending = this.#pendingSends.get(queue);
    if (!pending) return;
    this.#pendingSends.delete(queue);
    for (const chunk of chunkForBatches(pending)) {
      const flush = this.#sendChunk(queue, chunk).finally(() => this.#inFlightFlushes.delete(flush));
      this.#inFlightFlushes.add(flush);
    }
  }

  /** Sends up to one batch; every caller's promise settles with its own entry's outcome. Never rejects. */
  async #sendChunk(queue: string, chunk: PendingSend[]): Promise<void> {
    try {
      const QueueUrl = await this.#queueUrl(queue);
      if (chunk.length === 1) {
        const [only] = chunk as [PendingSend];
        await this.#client.send(new SendMessageCommand({ QueueUrl, MessageBody: only.body, DelaySeconds: only.delaySeconds }));
        only.resolve();
        return;
      }
      const output = await this.#client.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: chunk.map((entry, index) => ({ Id: String(index), MessageBody: entry.body, DelaySeconds: entry.delaySeconds })),
        }),
      );
      const succeeded = new Set((output.Successful ?? []).map((result) => result.Id));
      const failed = new Map((output.Failed ?? []).map((result) => [result.Id, result]));
      chunk.forEach((entry, index) => {
        const id = String(index);
        const failure = failed.get(id);
        if (failure) entry.reject(new SqsBatchEntryError(failure.Code ?? 'Unknown', failure.Message ?? 'SendMessageBatch entry failed', failure.SenderFault ?? false));
        else if (succeeded.has(id)) entry.resolve();
        else entry.reject(new SqsBatchEntryError('MissingResult', 'SendMessageBatch returned no result for this entry', false));
      });
    } catch (error) {
      for (const entry of chunk) entry.reject(error);
    }
  }

  /** The queue's URL, looked up once per name; a failed lookup is forgotten so the next call retries. */
  #queueUrl(logical: string): Promise<string> {
    const known = this.#urls.get(logical);
    if (known) return known;
    const lookup = this.#lookUpQueueUrl(logical);
    this.#urls.set(logical, lookup);
    lookup.catch(() => {
      if (this.#urls.get(logical) === lookup) this.#urls.delete(logical);
    });
    return lookup;
  }

  async #lookUpQueueUrl(logical: string): Promise<string> {
    try {
      return await this.#getQueueUrl(sqsQueueName(logical, this.#namePrefix));
    } catch (error) {
      if (!this.#provision || !isQueueMissingError(error)) throw error;
      return this.#createQueue(logical, this.#provision);
    }
  }

  /**
   * Creates a queue (a dead-letter queue first, for a main queue). CreateQueue with the same
   * attributes returns the existing queue, so two instances racing to create one both succeed.
   */
  async #createQueue(logical: string, provision: NonNullable<SqsQueueOptions['provision']>): Promise<string> {
    const QueueName = sqsQueueName(logical, this.#namePrefix);
    const Attributes: Record<string, string> = {};
    if (!isDeadLetterQueue(logical)) {
      const deadLetterUrl = await this.#queueUrl(deadLetterQueueName(logical));
      const { Attributes: deadLetterAttributes } = await this.#client.send(
        new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
      );
      const deadLetterTargetArn = deadLetterAttributes?.QueueArn;
      if (!deadLetterTargetArn) throw new Error(`GetQueueAttributes returned no QueueArn for ${deadLetterUrl}`);
      Attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn, maxReceiveCount: provision.maxReceiveCount });
      if (provision.visibilityTimeoutSeconds !== undefined) {
        Attributes.VisibilityTimeout = String(clamp(provision.visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS));
      }
    }
    try {
      const { QueueUrl } = await this.#client.send(new CreateQueueCommand({ QueueName, Attributes }));
      if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${QueueName}`);
      return QueueUrl;
    } catch (error) {
      // Created meanwhile with other attributes (e.g. by the CDK app): use it as it is.
      if (!isErrorNamed(error, 'QueueNameExists', 'QueueAlreadyExists')) throw error;
      return this.#getQueueUrl(QueueName);
    }
  }

  async #getQueueUrl(QueueName: string): Promise<string> {
    const { QueueUrl } = await this.#client.send(new GetQueueUrlCommand({ QueueName }));
    if (!QueueUrl) throw new Error(`GetQueueUrl returned no URL for ${QueueName}`);
    return QueueUrl;
  }
}

/** A SendMessageBatch entry that SQS refused; the other entries of the batch are unaffected. */
export class SqsBatchEntryError extends Error {
  readonly code: string;
  readonly senderFault: boolean;

  constructor(code: string, message: string, senderFault: boolean) {
    super(`SQS refused the message: ${code}: ${message}`);
    this.name = 'SqsBatchEntryError';
    this.code = code;
    this.senderFault = senderFault;
  }
}

function toReceivedMessage(message: Message): ReceivedMessage {
  if (!message.MessageId || !message.ReceiptHandle) throw new Error('SQS returned a message without MessageId or ReceiptHandle');
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    messageId: message.MessageId,
    body: parseBody(message.Body ?? ''),
    receiveCount: Number.isInteger(receiveCount) && receiveCount > 0 ? receiveCount : 1,
    receipt: message.ReceiptHandle,
  };
}

/** Our own sends are JSON; a body someone else put there arrives as the string it is, for the consumer to reject. */
function parseBody(body: string): JsonValue {
  try {
    return JSON.parse(body) as JsonValue;
  } catch {
    return body;
  }
}

/** Groups sends into batches within SQS's entry and payload limits, in send order. */
function chunkForBatches(pending: PendingSend[]): PendingSend[][] {
  const chunks: PendingSend[][] = [];
  let current: PendingSend[] = [];
  let currentBytes = 0;
  for (const entry of pending) {
    const bytes = Buffer.byteLength(entry.body);
    if (current.length > 0 && (current.length === MAX_ENTRIES_PER_BATCH || currentBytes + bytes > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** SQS's answers for a receipt that no longer names an in-flight delivery (deleted, expired, or never issued). */
function isStaleReceiptError(error: unknown): boolean {
  if (isErrorNamed(error, 'ReceiptHandleIsInvalid', 'MessageNotInflight')) return true;
  return isErrorNamed(error, 'InvalidParameterValue') && error instanceof Error && /receipt ?handle/i.test(error.message);
}

function isQueueMissingError(error: unknown): boolean {
  return isErrorNamed(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue');
}

/** Matches the SDK's error name or, for query-compatible errors, its legacy code. */
function isErrorNamed(error: unknown, ...names: string[]): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'Code' in error && typeof error.Code === 'string' ? error.Code : undefined;
  return names.includes(error.name) || (code !== undefined && names.includes(code));
}

function clamp(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return min;
  return Math.min(max, Math.max(min, Math.round(value)));
}
