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
export async function changeJobState<Row extends JobRow | undefined>(ctx: ServiceContext, move: () => Promise<Row>): Promise<Row>;
export async function changeJobState<Result>(
  ctx: ServiceContext,
  move: () => Promise<Result>,
  /** Which jobs moved, from the move's result. */
  movedJobIds: (result: Result) => readonly string[],
): Promise<Result>;
export async function changeJobState<Result>(
  ctx: ServiceContext,
  move: () => Promise<Result>,
  movedJobIds?: (result: Result) => readonly string[],
): Promise<Result> {
  const result = await move();
  // Without `movedJobIds` the move returned the moved row, or undefined when nothing moved.
  const moved = movedJobIds ? movedJobIds(result) : result === undefined ? [] : [(result as JobRow).id];
  for (const jobId of moved) await relayJobWebhooks(ctx, jobId);
  return result;
}
