import { isProblemError, type SubmitResponse } from '@kontext/core';
import { awaitSubmittedJob, refundRequest, type AuthenticatedKey } from '@kontext/services';
import type { Context } from 'hono';
import type { ApiDependencies, ApiEnv } from './env.ts';

/** The longest a submit may be held with `Prefer: wait=N` on a server of our own. */
export const MAX_WAIT_SECONDS = 60;

/**
 * `Prefer: wait=N` (RFC 7240), capped at this deployment's limit (60 s on a server; less behind
 * a gateway with a shorter timeout); undefined when not asked.
 */
function preferredWaitSeconds(c: Context<ApiEnv>, deps: ApiDependencies): number | undefined {
  const match = /(?:^|[,;\s])wait\s*=\s*(\d+)/i.exec(c.req.header('prefer') ?? '');
  if (!match) return undefined;
  return Math.min(deps.maxWaitSeconds ?? MAX_WAIT_SECONDS, Number(match[1]));
}

/**
 * Holds a submit's answer until the job finishes or the wait is over, then answers as usual, with
 * the status and (if finished) the result added, so a fast job needs no poll at all.
 */
async function answerAfterWait(
  c: Context<ApiEnv>,
  { ctx }: ApiDependencies,
  auth: AuthenticatedKey,
  response: SubmitResponse,
  waitSeconds: number,
): Promise<SubmitResponse> {
  const current = await awaitSubmittedJob({ ctx, input: { auth, jobId: response.id, timeoutMs: waitSeconds * 1000, signal: c.req.raw.signal } });
  c.header('preference-applied', `wait=${waitSeconds}`);
  return { ...response, ...(current ? { status: current.status, result: current.result } : {}) };
}

/**
 * Runs a submit (a new job or a continued edit) and answers it, held with `Prefer: wait` when
 * asked. A refusal by credits or active jobs gives back the rate allowance the request took.
 */
export async function answerSubmit(
  c: Context<ApiEnv>,
  deps: ApiDependencies,
  auth: AuthenticatedKey,
  submit: () => Promise<{ response: SubmitResponse }>,
): Promise<SubmitResponse> {
  try {
    const { response } = await submit();
    const waitSeconds = preferredWaitSeconds(c, deps);
    return waitSeconds === undefined ? response : await answerAfterWait(c, deps, auth, response, waitSeconds);
  } catch (error) {
    if (isProblemError(error) && (error.kind === 'insufficient_credits' || error.kind === 'active_jobs_limit')) {
      await refundRequest({ ctx: deps.ctx, input: { auth } });
    }
    throw error;
  }
}
