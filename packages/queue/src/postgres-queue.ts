import { POSTGRES_QUEUE_CHANNEL, sleep } from '@kontext/core';
import type postgres from 'postgres';
import { deadLetterQueueName, isDeadLetterQueue, type JsonValue, type MessageQueue, type ReceivedMessage, type ReceiveOptions } from './port.ts';

// The Postgres adapter: messages are rows in queue_messages (bodies travel as JSON text, so the
// adapter works the same whatever type parsers the shared client has, drizzle's included); receive takes visible rows with
// FOR UPDATE SKIP LOCKED so concurrent consumers never get the same delivery; LISTEN/NOTIFY wakes
// waiting consumers the moment a message is committed, and a short poll covers messages that
// become visible by time (delays, expired visibility) rather than by a send.

const NOTIFY_CHANNEL = POSTGRES_QUEUE_CHANNEL;

export interface PostgresQueueOptions {
  /** Deliveries after which a message moves to `<queue>.dlq` instead of being delivered again. */
  maxReceiveCount?: number;
  /** Longest sleep between polls while long-polling; notifications usually wake consumers sooner. */
  pollIntervalMs?: number;
}

type Waiter = { queue: string; wake: () => void };

export class PostgresQueue implements MessageQueue {
  readonly #sql: postgres.Sql;
  readonly #maxReceiveCount: number;
  readonly #pollIntervalMs: number;
  readonly #waiters = new Set<Waiter>();
  #listening: Promise<{ unlisten(): Promise<void> }> | undefined;
  #closed = false;

  constructor(sql: postgres.Sql, options: PostgresQueueOptions = {}) {
    this.#sql = sql;
    this.#maxReceiveCount = options.maxReceiveCount ?? 5;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  async send(queue: string, body: JsonValue, options: { delaySeconds?: number } = {}): Promise<void> {
    const delay = options.delaySeconds ?? 0;
    // One statement: the insert and the notification commit together.
    await this.#sql`
      WITH inserted AS (
        INSERT INTO queue_messages (queue, body, visible_at)
        VALUES (${queue}, ${JSON.stringify(body)}::text::jsonb, now() + make_interval(secs => ${delay}))
        RETURNING id
      )
      SELECT pg_notify(${NOTIFY_CHANNEL}, ${queue}) FROM inserted`;
  }

  async receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + options.waitSeconds * 1000;
    if (options.waitSeconds > 0) await this.#listen();
    for (;;) {
      // Register before querying so a notification between the query and the wait is not lost.
      const wakeup = new AbortController();
      const waiter: Waiter = { queue, wake: () => wakeup.abort() };
      this.#waiters.add(waiter);
      try {
        const messages = await this.#receiveNow(queue, options);
        const remaining = deadline - Date.now();
        if (messages.length > 0 || remaining <= 0 || options.signal?.aborted || this.#closed) return messages;
        // Returns at once if a notification came while querying.
        await sleep(Math.min(remaining, this.#pollIntervalMs), wakeup.signal, options.signal);
      } finally {
        this.#waiters.delete(waiter);
      }
    }
  }

  async #receiveNow(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const maxReceives = isDeadLetterQueue(queue) ? 2_147_483_647 : this.#maxReceiveCount;
    const rows = await this.#sql<{ id: string; body: string; receive_count: number; receipt: string }[]>`
      WITH candidates AS (
        SELECT id, receive_count FROM queue_messages
        WHERE queue = ${queue} AND visible_at <= now()
        ORDER BY visible_at, id
        LIMIT ${options.maxMessages}
        FOR UPDATE SKIP LOCKED
      ), dead AS (
        UPDATE queue_messages m
        SET queue = ${deadLetterQueueName(queue)}, visible_at = now(), receive_count = 0, receipt = NULL
        FROM candidates c
        WHERE m.id = c.id AND c.receive_count >= ${maxReceives}
      )
      UPDATE queue_messages m
      SET visible_at = now() + make_interval(secs => ${options.visibilitySeconds}),
          receive_count = m.receive_count + 1,
          receipt = m.id || ':' || gen_random_uuid()
      FROM candidates c
      WHERE m.id = c.id AND c.receive_count < ${maxReceives}
      RETURNING m.id::text AS id, m.body::text AS body, m.receive_count, m.receipt`;
    return rows.map((row) => ({
      messageId: row.id,
      body: JSON.parse(row.body) as JsonValue,
      receiveCount: row.receive_count,
      receipt: row.receipt,
    }));
  }

  async extendVisibility(_queue: string, receipt: string, seconds: number): Promise<boolean> {
    const rows = await this.#sql`
      UPDATE queue_messages SET visible_at = now() + make_interval(secs => ${seconds})
      WHERE id = ${messageIdOf(receipt)} AND receipt = ${receipt}
      RETURNING id`;
    return rows.length > 0;
  }

  async ack(_queue: string, receipt: string): Promise<void> {
    await this.#sql`DELETE FROM queue_messages WHERE id = ${messageIdOf(receipt)} AND receipt = ${receipt}`;
  }

  async release(queue: string, receipt: string, delaySeconds = 0): Promise<void> {
    await this.#sql`
      WITH released AS (
        UPDATE queue_messages
        SET visible_at = now() + make_interval(secs => ${delaySeconds}), receipt = NULL
        WHERE id = ${messageIdOf(receipt)} AND receipt = ${receipt}
        RETURNING id
      )
      SELECT pg_notify(${NOTIFY_CHANNEL}, ${queue}) FROM released`;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters) waiter.wake();
    const listening = this.#listening;
    this.#listening = undefined;
    if (listening) await listening.then((listener) => listener.unlisten()).catch(() => {});
  }

  #listen(): Promise<unknown> {
    // postgres.js listens again by itself after a lost connection; a first LISTEN that failed (the
    // database was down) is not kept, so the next receive tries again.
    this.#listening ??= this.#sql
      .listen(NOTIFY_CHANNEL, (queue) => {
        for (const waiter of this.#waiters) if (waiter.queue === queue) waiter.wake();
      })
      .catch((error: unknown) => {
        this.#listening = undefined;
        throw error;
      });
    return this.#listening;
  }
}

function messageIdOf(receipt: string): string {
  const id = receipt.slice(0, receipt.indexOf(':'));
  // Receipts come from our own receive(); anything else matches no row.
  return /^[0-9]+$/.test(id) ? id : '0';
}
