import type { JobRow } from '@kontext/db';
import type { ServiceContext } from '../context.ts';
import { relayJobWebhooks } from '../webhooks/relay-webhooks.ts';

/**
 * The services' one door for a job's state: runs the move (a `transitionJob` of packages/db, alone
 * or inside a transaction with what must commit with it), then does what follows the commit, for
 * every job that moved, so no caller can forget it:
 * - the webhook deliveries the change wrote (trigger `queue_job_webhooks`, migration 0004) are
 *   relayed to the webhooks queue where a queue-driven dispatcher reads them (a no-op where the
 *   dispatcher reads the outbox itself);
 * - live-status listeners need nothing more: the trigger `record_job_event` NOTIFYs at commit,
 *   and processes that cannot listen poll.
 * The accounting (slots, ledger, usage) is done by the trigger `account_finished_job` (migration
 * 0002) in the move's own transaction. Dispatching a job put back in the queue stays with the
 * caller, who knows how: a released message (release) or an outbox row (sweep).
 */
export async function changeJobState<Result>(
  ctx: ServiceContext,
  move: () => Promise<Result>,
  /** Which jobs moved, from the move's result; by default the row or rows it returned. */
  movedJobIds: (result: Result) => readonly string[] = rowIds,
): Promise<Result> {
  const result = await move();
  for (const jobId of movedJobIds(result)) await relayJobWebhooks(ctx, jobId);
  return result;
}

function rowIds(result: unknown): string[] {
  const rows = result === undefined ? [] : Array.isArray(result) ? result : [result];
  return rows.map((row: JobRow) => row.id);
}
