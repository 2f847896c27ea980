// The queue port: at-least-once delivery with visibility timeouts, shaped after SQS so that the
// Postgres adapter (one machine) and the SQS adapter (cloud) are interchangeable. Consumers must
// be idempotent: a message can arrive twice, late, or after its work was already done.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ReceivedMessage {
  /** Stable across deliveries of the same message. */
  messageId: string;
  body: JsonValue;
  /** 1 on first delivery; a consumer can tell a redelivery from this. */
  receiveCount: number;
  /**
   * Identifies this delivery; needed to ack, release or extend it. Once the message is delivered
   * again, this receipt is void on Postgres, but SQS may still act on the message with it; so no
   * consumer may rely on a stale receipt doing nothing (the job lease in the database is the fence).
   */
  receipt: string;
}

export interface ReceiveOptions {
  maxMessages: number;
  /** Long poll: wait up to this long for a message before returning an empty list. */
  waitSeconds: number;
  /** How long a received message stays hidden from other consumers unless acked or extended. */
  visibilitySeconds: number;
  signal?: AbortSignal;
}

export interface MessageQueue {
  send(queue: string, body: JsonValue, options?: { delaySeconds?: number }): Promise<void>;
  receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Keeps a message hidden while its work runs; false when this delivery is no longer held. */
  extendVisibility(queue: string, receipt: string, seconds: number): Promise<boolean>;
  /** Deletes the message: its work is done (or it is a duplicate to drop). */
  ack(queue: string, receipt: string): Promise<void>;
  /** Makes the message visible again after `delaySeconds`, for another consumer to retry. */
  release(queue: string, receipt: string, delaySeconds?: number): Promise<void>;
  close(): Promise<void>;
}

export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

export function isDeadLetterQueue(queue: string): boolean {
  return queue.endsWith('.dlq');
}
