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
function openQueue(
  kind: ClientKind,
  options: PostgresQueueOptions,
  applicationName = 'queue-conformance',
): QueueHandle & { queue: PostgresQueue } {
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
  const handle = connectDatabase(database.url, { maxConnections: 4, applicationName });
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
  let inspect: postgres.Sql;
  beforeAll(() => {
    inspect = postgres(database.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await Promise.all(handles.splice(0).map((handle) => handle.close()));
    await inspect?.end({ timeout: 5 });
  });

  // A poll interval and a long-poll wait far longer than any test's timeout: within a test, nothing
  // but a wake-up (NOTIFY, close) can end a consumer's wait, so a test that finishes proves the
  // wake-up without timing anything.
  const NEVER_MS = 600_000;
  const longPoll = { maxMessages: 1, waitSeconds: NEVER_MS / 1000, visibilitySeconds: 30 };

  /** A queue on its own client, named so that pg_stat_activity can show what that client is doing. */
  function openNotifyOnly(label: string): { queue: PostgresQueue; applicationName: string } {
    const applicationName = uniqueQueueName(`client-${label}`);
    const handle = openQueue('drizzle-shared client', { maxReceiveCount: 2, pollIntervalMs: NEVER_MS }, applicationName);
    handles.push(handle);
    return { queue: handle.queue, applicationName };
  }

  /**
   * Resolves once the consumer's long poll has run its first receive query to the end and found
   * nothing, so it is waiting (it listens before that query): whatever is sent or released from
   * now on can only reach it through a wake-up. Read from the server, so it holds however slow
   * the machine.
   */
  async function untilWaiting(consumer: { applicationName: string }): Promise<void> {
    await expect
      .poll(
        async () => {
          const rows = await inspect<{ waiting: number }[]>`
            SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE application_name = ${consumer.applicationName} AND state = 'idle' AND query LIKE '%FROM candidates c%'`;
          return rows[0]!.waiting;
        },
        { timeout: 20_000 },
      )
      .toBe(1);
  }

  it('a send wakes a long-polling consumer through NOTIFY, not polling', async () => {
    const consumer = openNotifyOnly('notified');
    const producer = openNotifyOnly('producer');
    const queue = uniqueQueueName('notify-send');
    const pending = consumer.queue.receive(queue, longPoll);
    await untilWaiting(consumer);
    await producer.queue.send(queue, { hello: 'world' });
    const [message] = await pending;
    expect(message?.body).toEqual({ hello: 'world' });
    await consumer.queue.ack(queue, message!.receipt);
  });

  it('a release wakes a long-polling consumer through NOTIFY', async () => {
    const holder = openNotifyOnly('holder');
    const waiter = openNotifyOnly('waiter');
    const queue = uniqueQueueName('notify-release');
    await holder.queue.send(queue, { n: 1 });
    const [held] = await holder.queue.receive(queue, { maxMessages: 1, waitSeconds: 0, visibilitySeconds: NEVER_MS / 1000 });
    expect(held).toBeDefined();
    const pending = waiter.queue.receive(queue, longPoll);
    await untilWaiting(waiter);
    await holder.queue.release(queue, held!.receipt);
    const [again] = await pending;
    expect(again?.messageId).toBe(held!.messageId);
    expect(again?.receiveCount).toBe(2);
    await waiter.queue.ack(queue, again!.receipt);
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

  it('close() ends a pending long poll', async () => {
    const consumer = openNotifyOnly('closed');
    const name = uniqueQueueName('close-wakes');
    const pending = consumer.queue.receive(name, longPoll);
    await untilWaiting(consumer);
    await consumer.queue.close();
    expect(await pending).toEqual([]);
  });

  it('rejects receipts it did not issue without touching any message', async () => {
    const { queue } = openNotifyOnly('receipts');
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
