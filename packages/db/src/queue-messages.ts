import { POSTGRES_QUEUE_CHANNEL } from '@kontext/core';
import { sql } from 'drizzle-orm';
import type { Executor } from './client.ts';

/**
 * Enqueues a message on the Postgres queue inside the caller's transaction: the message exists
 * exactly when the transaction commits, and the notification that wakes consumers is delivered at
 * commit. Used when the job queue lives in the same database (one machine), in place of the outbox.
 */
export async function enqueueInTransaction(exec: Executor, queue: string, body: unknown): Promise<void> {
  await exec.execute(sql`
    WITH inserted AS (
      INSERT INTO queue_messages (queue, body) VALUES (${queue}, ${JSON.stringify(body)}::text::jsonb) RETURNING id
    )
    SELECT pg_notify(${POSTGRES_QUEUE_CHANNEL}, ${queue}) FROM inserted`);
}
