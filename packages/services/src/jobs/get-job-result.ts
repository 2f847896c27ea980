import type { GetResultResponse } from '@kontext/core';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { presentJobResult } from './present-job-result.ts';

/** Polling: a job's status in BFL's shape, or null when this tenant has no such job. */
export async function getJobResult({
  ctx,
  input,
}: VerbArgs<{ auth: AuthenticatedPrincipal; jobId: string }>): Promise<GetResultResponse | null> {
  requireScope(input.auth, 'jobs:read');
  return presentJobResult(ctx, input.auth.tenantId, input.jobId);
}
