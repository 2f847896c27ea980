import type { SubmitResponse } from '@kontext/core';
import { awaitSubmittedJob, type AuthenticatedPrincipal } from '@kontext/services';
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
  auth: AuthenticatedPrincipal,
  response: SubmitResponse,
  waitSeconds: number,
): Promise<SubmitResponse> {
  const current = await awaitSubmittedJob({ ctx, input: { auth, jobId: response.id, timeoutMs: waitSeconds * 1000, signal: c.req.raw.signal } });
  c.header('preference-applied', `wait=${waitSeconds}`);
  return { ...response, ...(current ? { status: current.status, result: current.result } : {}) };
}

/**
 * Answers an accepted submit (a new job or a continued edit), held with `Prefer: wait` when asked.
 * A refused submit never gets here: its verb has already given back what the request took.
 */
export async function answerSubmit(
  c: Context<ApiEnv>,
  deps: ApiDependencies,
  auth: AuthenticatedPrincipal,
  response: SubmitResponse,
): Promise<SubmitResponse> {
  const waitSeconds = preferredWaitSeconds(c, deps);
  return waitSeconds === undefined ? response : answerAfterWait(c, deps, auth, response, waitSeconds);
}
