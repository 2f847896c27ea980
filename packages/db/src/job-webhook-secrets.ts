import { sql } from 'drizzle-orm';
import type { Executor } from './client.ts';

// The per-request webhook secrets jobs carry (BFL's webhook_secret), sealed at rest: re-sealing under a new key.

/** Jobs whose per-request webhook secret is not sealed under the current key. */
export async function findJobSecretsToReseal(exec: Executor, currentPrefix: string, limit: number): Promise<{ id: string; webhookSecret: string }[]> {
  return exec.execute<{ id: string; webhookSecret: string }>(sql`
    SELECT id, webhook_secret AS "webhookSecret" FROM jobs
    WHERE webhook_secret IS NOT NULL AND left(webhook_secret, ${currentPrefix.length}) <> ${currentPrefix}
    LIMIT ${limit}`);
}

export async function replaceJobSecret(exec: Executor, input: { id: string; from: string; to: string }): Promise<boolean> {
  const rows = await exec.execute(sql`UPDATE jobs SET webhook_secret = ${input.to} WHERE id = ${input.id} AND webhook_secret = ${input.from}`);
  return rows.count > 0;
}
