import { randomBytes } from 'node:crypto';
import { sleep } from '@kontext/core';
import { afterAll, describe, expect, it } from 'vitest';
import { deadLetterQueueName, type JsonValue, type MessageQueue, type ReceivedMessage, type ReceiveOptions } from '../src/port.ts';

// A conformance suite over the MessageQueue port only: every adapter (Postgres on one machine,
// SQS in the cloud) must pass it unchanged. Adapters are expected to be constructed with a max
// receive count of 2, so a message is dead-lettered on the third receive attempt.

export interface QueueHandle {
  queue: MessageQueue;
  close(): Promise<void>;
}

const VISIBILITY = 1;
const MAX_RECEIVE_COUNT = 2;
// How long a receive long-polls for a message that is due (redelivered, released, delayed): a
// deadline, not a measurement; the receive returns as soon as the message is there.
const DUE_WAIT_SECONDS = 10;
// A delay longer than any test runs (and within SQS's 900 s limit): a message delayed this long must
// stay hidden for the whole test, however slow the machine, which a 1 s delay cannot promise.
const NOT_DUE_IN_THIS_TEST_SECONDS = 600;
// SQS's longest long poll; the abort case's timeout is shorter, so only the abort can end it in time.
const LONGEST_WAIT_SECONDS = 20;
const SHORTER_THAN_THE_LONGEST_WAIT_MS = 15_000;

export interface QueueCapabilities {
  /**
   * Whether a receipt from an earlier delivery of a message is void once the message is received
   * again (Postgres: yes). SQS accepts superseded receipt handles, and nothing can read a
   * message's current receipt to refuse them, so consumers never rely on it: the job lease in the
   * database is the fence. The two cases about stale receipts run only where this holds.
   */
  supersededReceiptsAreVoid: boolean;
  /**
   * Whether concurrent receives never hand out the same message twice (Postgres: yes, FOR UPDATE
   * SKIP LOCKED). A standard SQS queue is at-least-once and may deliver a message twice, and moto
   * does so under load (two concurrent receives both take a message, with the same receive count);
   * the port lets consumers expect it. Where this does not hold, the concurrent case checks that
   * every message is processed, not that none is processed twice.
   */
  concurrentReceivesAreExclusive: boolean;
}

export function describeQueueConformance(
  name: string,
  makeQueue: () => Promise<QueueHandle>,
  capabilities: QueueCapabilities = { supersededReceiptsAreVoid: true, concurrentReceivesAreExclusive: true },
): void {
  describe(`MessageQueue conformance: ${name}`, () => {
    const handles: QueueHandle[] = [];

    /** A fresh adapter instance (its own connection where the adapter has one), closed after the suite. */
    async function open(): Promise<MessageQueue> {
      const handle = await makeQueue();
      handles.push(handle);
      return handle.queue;
    }

    /** Opens an adapter that the test closes itself, e.g. to simulate a consumer that dies. */
    async function openOwned(): Promise<QueueHandle> {
      return makeQueue();
    }

    afterAll(async () => {
      await Promise.all(handles.splice(0).map((handle) => handle.close()));
    });

    it('round-trips JSON bodies and starts receiveCount at 1', async () => {
      const q = await open();
      const queueName = uniqueQueueName('roundtrip');
      const bodies: JsonValue[] = [
        { jobId: 'job_1', nested: { list: [1, 2.5, -3, true, false, null], text: 'Grüße 🖼️ "quoted" \\ back' } },
        ['a', { b: [] }, {}],
        'plain string',
        42,
        true,
        null,
      ];
      for (const body of bodies) await q.send(queueName, body);

      const received = await receiveAll(q, queueName, bodies.length);
      expect(received).toHaveLength(bodies.length);
      expect(received.map((message) => message.body)).toEqual(expect.arrayContaining(bodies));
      for (const message of received) {
        expect(message.receiveCount).toBe(1);
        expect(typeof message.messageId).toBe('string');
        expect(message.messageId).not.toBe('');
        expect(typeof message.receipt).toBe('string');
        expect(message.receipt).not.toBe('');
      }
      expect(new Set(received.map((message) => message.messageId)).size).toBe(bodies.length);
      for (const message of received) await q.ack(queueName, message.receipt);
      expect(await q.receive(queueName, short({ maxMessages: 10 }))).toEqual([]);
    });

    it('hides a received message from other receives until its visibility timeout', async () => {
      const q = await open();
      const other = await open();
      const queueName = uniqueQueueName('hidden');
      await q.send(queueName, { n: 1 });
      const [first] = await q.receive(queueName, short({ visibilitySeconds: 30 }));
      expect(first).toBeDefined();
      expect(await q.receive(queueName, short())).toEqual([]);
      expect(await other.receive(queueName, short())).toEqual([]);
      await q.ack(queueName, first!.receipt);
    });

    it('redelivers an unacked message after its visibility timeout with receiveCount 2 and a new receipt', async () => {
      const q = await open();
      const queueName = uniqueQueueName('redeliver');
      await q.send(queueName, { work: 'redo me' });
      const first = await receiveOne(q, queueName);
      expect(first.receiveCount).toBe(1);

      const second = await receiveOne(q, queueName, { waitSeconds: DUE_WAIT_SECONDS });
      expect(second.messageId).toBe(first.messageId);
      expect(second.body).toEqual({ work: 'redo me' });
      expect(second.receiveCount).toBe(2);
      expect(second.receipt).not.toBe(first.receipt);
      await q.ack(queueName, second.receipt);
      expect(await q.receive(queueName, short())).toEqual([]);
    });

    it.runIf(capabilities.supersededReceiptsAreVoid)('ignores an ack with a stale receipt from an earlier delivery', async () => {
      const q = await open();
      const queueName = uniqueQueueName('stale-ack');
      await q.send(queueName, { n: 1 });
      const first = await receiveOne(q, queueName);
      const second = await receiveOne(q, queueName, { waitSeconds: DUE_WAIT_SECONDS });
      expect(second.messageId).toBe(first.messageId);

      await q.ack(queueName, first.receipt);
      // The current delivery is still held: it can be extended, which proves the message survived.
      expect(await q.extendVisibility(queueName, second.receipt, 30)).toBe(true);

      await q.ack(queueName, second.receipt);
      expect(await q.extendVisibility(queueName, second.receipt, 30)).toBe(false);
      expect(await q.receive(queueName, short())).toEqual([]);
    });

    it('extendVisibility keeps a message hidden past the original timeout', async () => {
      const q = await open();
      const queueName = uniqueQueueName('extend');
      await q.send(queueName, { n: 1 });
      const message = await receiveOne(q, queueName);
      expect(await q.extendVisibility(queueName, message.receipt, 30)).toBe(true);
      // Long-poll for twice the original visibility: the extension must keep it hidden throughout.
      expect(await q.receive(queueName, short({ waitSeconds: 2 * VISIBILITY }))).toEqual([]);
      await q.ack(queueName, message.receipt);
    });

    it.runIf(capabilities.supersededReceiptsAreVoid)('extendVisibility returns false for a stale receipt', async () => {
      const q = await open();
      const queueName = uniqueQueueName('extend-stale');
      await q.send(queueName, { n: 1 });
      const first = await receiveOne(q, queueName);
      const second = await receiveOne(q, queueName, { waitSeconds: DUE_WAIT_SECONDS });
      expect(second.messageId).toBe(first.messageId);
      expect(await q.extendVisibility(queueName, first.receipt, 30)).toBe(false);
      expect(await q.extendVisibility(queueName, second.receipt, 30)).toBe(true);
      await q.ack(queueName, second.receipt);
    });

    it('release makes a message visible again at once', async () => {
      const q = await open();
      const queueName = uniqueQueueName('release');
      await q.send(queueName, { n: 1 });
      const first = await receiveOne(q, queueName, { visibilitySeconds: 30 });
      await q.release(queueName, first.receipt);
      const again = await receiveOne(q, queueName, { visibilitySeconds: 30, waitSeconds: 2 });
      expect(again.messageId).toBe(first.messageId);
      expect(again.receiveCount).toBe(2);
      expect(again.receipt).not.toBe(first.receipt);
      await q.ack(queueName, again.receipt);
      expect(await q.receive(queueName, short())).toEqual([]);
    });

    it('release with a delay keeps the message hidden until the delay passes', async () => {
      const q = await open();
      const queueName = uniqueQueueName('release-delay');
      await q.send(queueName, { n: 1 });
      await q.send(queueName, { n: 2 });
      const [soon, later] = await receiveAll(q, queueName, 2, { visibilitySeconds: 30 });
      expect(later).toBeDefined();
      // One message is released until after the test, one for 1 s: the second comes back once due,
      // and the first is still hidden after that.
      await q.release(queueName, later!.receipt, NOT_DUE_IN_THIS_TEST_SECONDS);
      await q.release(queueName, soon!.receipt, 1);
      const again = await receiveOne(q, queueName, { visibilitySeconds: 30, waitSeconds: DUE_WAIT_SECONDS });
      expect(again.messageId).toBe(soon!.messageId);
      expect(again.receiveCount).toBe(2);
      expect(await q.receive(queueName, short())).toEqual([]);
      await q.ack(queueName, again.receipt);
    });

    it('delaySeconds on send hides the message until it is due', async () => {
      const q = await open();
      const queueName = uniqueQueueName('delay');
      // As above: one message is not due before the test ends, one is due in 1 s.
      await q.send(queueName, { due: 'later' }, { delaySeconds: NOT_DUE_IN_THIS_TEST_SECONDS });
      await q.send(queueName, { due: 'soon' }, { delaySeconds: 1 });
      const message = await receiveOne(q, queueName, { waitSeconds: DUE_WAIT_SECONDS });
      expect(message.body).toEqual({ due: 'soon' });
      expect(message.receiveCount).toBe(1);
      expect(await q.receive(queueName, short())).toEqual([]);
      await q.ack(queueName, message.receipt);
    });

    it(`dead-letters a message after ${MAX_RECEIVE_COUNT} receives`, async () => {
      const q = await open();
      const queueName = uniqueQueueName('dlq');
      const dlq = deadLetterQueueName(queueName);
      await q.send(queueName, { poison: true });
      const first = await receiveOne(q, queueName);
      const second = await receiveOne(q, queueName, { waitSeconds: DUE_WAIT_SECONDS });
      expect(second.receiveCount).toBe(MAX_RECEIVE_COUNT);

      // Keep receiving on the main queue: it must never deliver the message again, and the
      // message must show up on the dead-letter queue.
      let deadLettered: ReceivedMessage | undefined;
      const deadline = Date.now() + 15_000;
      while (!deadLettered) {
        expect(await q.receive(queueName, { maxMessages: 10, waitSeconds: 1, visibilitySeconds: VISIBILITY })).toEqual([]);
        [deadLettered] = await q.receive(dlq, short({ visibilitySeconds: 30 }));
        if (Date.now() > deadline) throw new Error('the message never reached the dead-letter queue');
      }
      expect(deadLettered.messageId).toBe(first.messageId);
      expect(deadLettered.body).toEqual({ poison: true });
      await q.ack(dlq, deadLettered.receipt);

      expect(await q.receive(queueName, short())).toEqual([]);
      expect(await q.receive(dlq, short())).toEqual([]);
    });

    const exactlyOnce = capabilities.concurrentReceivesAreExclusive ? 'exactly once, never holding the same delivery twice' : 'at least once';
    it(`concurrent consumers process 100 messages ${exactlyOnce}`, async () => {
      const producer = await open();
      const consumers = await Promise.all([open(), open(), open(), open()]);
      const queueName = uniqueQueueName('concurrent');
      const total = 100;
      await Promise.all(Array.from({ length: total }, (_, i) => producer.send(queueName, { i })));

      const deliveries: { consumer: number; message: ReceivedMessage }[] = [];
      const processed = new Set<string>();
      // A deadline for the work, inside the test's own timeout; the consumers stop as soon as it is done.
      const deadline = Date.now() + 40_000;
      await Promise.all(
        consumers.map(async (consumer, index) => {
          while (processed.size < total && Date.now() < deadline) {
            // Visibility far longer than the test: any second delivery would be a duplicate.
            const batch = await consumer.receive(queueName, { maxMessages: 7, waitSeconds: 1, visibilitySeconds: 60 });
            for (const message of batch) {
              deliveries.push({ consumer: index, message });
              await consumer.ack(queueName, message.receipt);
              processed.add(message.messageId);
            }
          }
        }),
      );

      const seen = [...new Set(deliveries.map((delivery) => (delivery.message.body as { i: number }).i))].sort((a, b) => a - b);
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(processed.size).toBe(total);
      if (capabilities.concurrentReceivesAreExclusive) {
        const ids = deliveries.map((delivery) => delivery.message.messageId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(deliveries).toHaveLength(total);
        expect(deliveries.every((delivery) => delivery.message.receiveCount === 1)).toBe(true);
      }
      expect(await producer.receive(queueName, short({ maxMessages: 10 }))).toEqual([]);
    }, 60_000);

    it('loses no message when a consumer dies before acking', async () => {
      const producer = await open();
      const queueName = uniqueQueueName('dying');
      await producer.send(queueName, { survive: 'me' });

      const doomed = await openOwned();
      const [taken] = await doomed.queue.receive(queueName, { maxMessages: 1, waitSeconds: 5, visibilitySeconds: VISIBILITY });
      expect(taken).toBeDefined();
      await doomed.close();

      const rescuer = await open();
      const rescued = await receiveOne(rescuer, queueName, { waitSeconds: DUE_WAIT_SECONDS });
      expect(rescued.messageId).toBe(taken!.messageId);
      expect(rescued.body).toEqual({ survive: 'me' });
      expect(rescued.receiveCount).toBe(2);
      await rescuer.ack(queueName, rescued.receipt);
    });

    it('a long poll returns the message another client sends while it waits', async () => {
      const consumer = await open();
      const producer = await open();
      const queueName = uniqueQueueName('long-poll');
      const pending = consumer.receive(queueName, { maxMessages: 1, waitSeconds: LONGEST_WAIT_SECONDS, visibilitySeconds: 30 });
      // Grace for the consumer to start waiting; on a slow machine the send may come first, and the
      // receive still returns it (that NOTIFY wakes a waiting consumer is PostgresQueue's own test).
      await sleep(300);
      await producer.send(queueName, { wake: 'up' });
      const received = await pending;
      expect(received).toHaveLength(1);
      expect(received[0]!.body).toEqual({ wake: 'up' });
      await consumer.ack(queueName, received[0]!.receipt);
    }, LONGEST_WAIT_SECONDS * 1000 + 10_000);

    it('a long poll on an empty queue returns an empty list after its wait', async () => {
      const q = await open();
      const queueName = uniqueQueueName('empty-poll');
      const started = performance.now();
      const received = await q.receive(queueName, { maxMessages: 1, waitSeconds: 1, visibilitySeconds: VISIBILITY });
      const elapsed = performance.now() - started;
      expect(received).toEqual([]);
      // It waited rather than returning at once: a lower bound only, which a slow machine can only
      // exceed by more; that it does not hang is the test's timeout.
      expect(elapsed).toBeGreaterThanOrEqual(900);
    });

    it('a receive returns once its AbortSignal fires, long before its wait would end', async () => {
      const q = await open();
      const queueName = uniqueQueueName('abort');
      const controller = new AbortController();
      const pending = q.receive(queueName, { maxMessages: 1, waitSeconds: LONGEST_WAIT_SECONDS, visibilitySeconds: VISIBILITY, signal: controller.signal });
      // Grace for the receive to start waiting; a slow machine only makes the abort come before it,
      // which returns at once all the same (as the second receive below checks).
      await sleep(200);
      controller.abort();
      expect(await pending).toEqual([]);

      // A signal aborted before the call does not wait either.
      expect(await q.receive(queueName, { maxMessages: 1, waitSeconds: LONGEST_WAIT_SECONDS, visibilitySeconds: VISIBILITY, signal: AbortSignal.abort() })).toEqual([]);
    }, SHORTER_THAN_THE_LONGEST_WAIT_MS);

    it('honours maxMessages', async () => {
      const q = await open();
      const queueName = uniqueQueueName('max');
      for (let i = 0; i < 5; i++) await q.send(queueName, { i });
      const batch = await q.receive(queueName, { maxMessages: 3, waitSeconds: 0, visibilitySeconds: 30 });
      expect(batch).toHaveLength(3);
      const rest = await receiveAll(q, queueName, 2, { visibilitySeconds: 30 });
      expect(rest).toHaveLength(2);
      const ids = [...batch, ...rest].map((message) => message.messageId);
      expect(new Set(ids).size).toBe(5);
      expect(await q.receive(queueName, short({ maxMessages: 10 }))).toEqual([]);
      for (const message of [...batch, ...rest]) await q.ack(queueName, message.receipt);
    });
  });
}

export function uniqueQueueName(label: string): string {
  return `conformance-${label}-${randomBytes(5).toString('hex')}`;
}

/** Receive options for a short poll that hides messages for the suite's visibility timeout. */
function short(overrides: Partial<ReceiveOptions> = {}): ReceiveOptions {
  return { maxMessages: 1, waitSeconds: 0, visibilitySeconds: VISIBILITY, ...overrides };
}

/** Exactly one message, long-polling for it; fails the test when none arrives in time. */
async function receiveOne(q: MessageQueue, queue: string, overrides: Partial<ReceiveOptions> = {}): Promise<ReceivedMessage> {
  const messages = await q.receive(queue, short({ waitSeconds: 2, ...overrides, maxMessages: 1 }));
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

/** Receives until `count` messages arrived (a receive may return fewer than asked for) or a deadline passes. */
async function receiveAll(
  q: MessageQueue,
  queue: string,
  count: number,
  overrides: Partial<ReceiveOptions> = {},
): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  const deadline = Date.now() + 10_000;
  while (received.length < count && Date.now() < deadline) {
    const batch = await q.receive(queue, short({ visibilitySeconds: 30, waitSeconds: 1, ...overrides, maxMessages: Math.min(10, count - received.length) }));
    received.push(...batch);
  }
  return received;
}
