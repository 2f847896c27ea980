import type { GetResultResponse } from '@kontext/core';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { presentJobResult } from './present-job-result.ts';
import { waitForJob } from './wait-for-job.ts';

/**
 * Holds the answer to a submit (`Prefer: wait=N`) until the job just created finishes or the time
 * is up, then returns its current status. Needs only jobs:write, the scope the submit itself
 * needed: a write-only key must still learn what it created.
 */
export async function awaitSubmittedJob({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; jobId: string; timeoutMs: number; signal?: AbortSignal }>): Promise<GetResultResponse | null> {
  requireScope(input.auth, 'jobs:write');
  await waitForJob({ ctx, input: { jobId: input.jobId, timeoutMs: input.timeoutMs, signal: input.signal } });
  return presentJobResult(ctx, input.auth.tenantId, input.jobId);
}
