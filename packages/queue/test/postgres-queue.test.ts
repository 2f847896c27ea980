import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../db/src/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/database.ts';
import { PostgresQueue, type PostgresQueueOptions } from '../src/index.ts';
import { describeQueueConformance, uniqueQueueName, type QueueHandle } from './conformance.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

type ClientKind = 'plain postgres client' | 'drizzle-shared client';

/**
 * A queue with its own client, so ending the client simulates a consumer process that died.
 * 'plain postgres client' is a stock `postgres(url)`; 'drizzle-shared client' is the client from
 * connectDatabase, which is what the API, worker and local runner hand the queue (drizzle
 * installs its own type serializers and parsers on it).
 */
function openQueue(kind: ClientKind, options: PostgresQueueOptions): QueueHandle & { queue: PostgresQueue } {
  if (kind === 'plain postgres client') {
    const sql = postgres(database.url, { max: 4, onnotice: () => {} });
    const queue = new PostgresQueue(sql, options);
    return {
      queue,
      close: async () => {
        await queue.close();
        await sql.end({ timeout: 5 });
      },
    };
  }
  const handle = connectDatabase(database.url, { maxConnections: 4, applicationName: 'queue-conformance' });
  const queue = new PostgresQueue(handle.sql, options);
  return {
    queue,
    close: async () => {
      await queue.close();
      await handle.close();
    },
  };
}

// A short poll interval keeps the time-based cases (visibility expiry, delays) fast.
for (const kind of ['plain postgres client', 'drizzle-shared client'] as const) {
  describeQueueConformance(`PostgresQueue on a ${kind}`, async () => openQueue(kind, { maxReceiveCount: 2, pollIntervalMs: 200 }));
}

describe('PostgresQueue specifics', () => {
  const handles: QueueHandle[] = [];
  afterAll(async () => {
    await Promise.all(handles.splice(0).map((handle) => handle.close()));
  });

  // With a poll interval far longer than the test, only LISTEN/NOTIFY can wake the consumer.
  function openNotifyOnly(): PostgresQueue {
    const handle = openQueue('drizzle-shared client', { maxReceiveCount: 2, pollIntervalMs: 60_000 });
    handles.push(handle);
    return handle.queue;
  }

  it('a send wakes a long-polling consumer through NOTIFY, not polling', async () => {
    const consumer = openNotifyOnly();
    const producer = openNotifyOnly();
    const queue = uniqueQueueName('notify-send');
    expect(await producer.receive(queue, { maxMessages: 1, waitSeconds: 0, visibilitySeconds: 1 })).toEqual([]);
    const pending = consumer.receive(queue, { maxMessages: 1, waitSeconds: 10, visibilitySeconds: 30 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sentAt = performance.now();
    await producer.send(queue, { hello: 'world' });
    const [message] = await pending;
    expect(message?.body).toEqual({ hello: 'world' });
    expect(performance.now() - sentAt).toBeLessThan(1000);
    await consumer.ack(queue, message!.receipt);
  });

  it('a release wakes a long-polling consumer through NOTIFY', async () => {
    const holder = openNotifyOnly();
    const waiter = openNotifyOnly();
    const queue = uniqueQueueName('notify-release');
    await holder.send(queue, { n: 1 });
    const [held] = await holder.receive(queue, { maxMessages: 1, waitSeconds: 0, visibilitySeconds: 30 });
    expect(held).toBeDefined();
    const pending = waiter.receive(queue, { maxMessages: 1, waitSeconds: 10, visibilitySeconds: 30 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const releasedAt = performance.now();
    await holder.release(queue, held!.receipt);
    const [again] = await pending;
    expect(again?.messageId).toBe(held!.messageId);
    expect(again?.receiveCount).toBe(2);
    expect(performance.now() - releasedAt).toBeLessThan(1000);
    await waiter.ack(queue, again!.receipt);
  });

  it('stores a body sent through a plain postgres client as a JSON object, not as a JSON string', async () => {
    // The adapter claims to work whatever type serializers and parsers the client has. On a stock
    // postgres.js client the body must still land as the JSON value that was sent.
    const handle = openQueue('plain postgres client', { maxReceiveCount: 2, pollIntervalMs: 200 });
    handles.push(handle);
    const inspect = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const name = uniqueQueueName('plain-body');
      await handle.queue.send(name, { kind: 'object' });
      const rows = await inspect<{ type: string }[]>`SELECT jsonb_typeof(body) AS type FROM queue_messages WHERE queue = ${name}`;
      expect(rows.map((row) => row.type)).toEqual(['object']);
    } finally {
      await inspect.end({ timeout: 5 });
    }
  });

  it('close() ends a pending long poll promptly', async () => {
    const handle = openQueue('drizzle-shared client', { maxReceiveCount: 2, pollIntervalMs: 60_000 });
    handles.push(handle);
    const name = uniqueQueueName('close-wakes');
    const pending = handle.queue.receive(name, { maxMessages: 1, waitSeconds: 20, visibilitySeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closedAt = performance.now();
    await handle.queue.close();
    expect(await pending).toEqual([]);
    expect(performance.now() - closedAt).toBeLessThan(5000);
  });

  it('rejects receipts it did not issue without touching any message', async () => {
    const queue = openNotifyOnly();
    const name = uniqueQueueName('bogus-receipt');
    await queue.send(name, { n: 1 });
    const [message] = await queue.receive(name, { maxMessages: 1, waitSeconds: 0, visibilitySeconds: 30 });
    expect(message).toBeDefined();
    const forged = `${message!.messageId}:not-the-receipt`;
    for (const receipt of ['', 'garbage', '1 OR 1=1:x', forged]) {
      expect(await queue.extendVisibility(name, receipt, 30)).toBe(false);
      await queue.ack(name, receipt);
      await queue.release(name, receipt);
    }
    expect(await queue.extendVisibility(name, message!.receipt, 30)).toBe(true);
    await queue.ack(name, message!.receipt);
  });
});
