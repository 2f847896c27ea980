import { isId, ProblemError, type JobRecord } from '@kontext/core';
import { findInputEdges, findTenantJobWithOutput } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { presentJob } from './present-job.ts';

export async function getJob({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; jobId: string }>): Promise<JobRecord> {
  requireScope(input.auth, 'jobs:read');
  const found = isId('job', input.jobId) ? await findTenantJobWithOutput(ctx.db, input.auth.tenantId, input.jobId) : undefined;
  if (!found) throw new ProblemError('not_found', `no job ${input.jobId}`);
  const edges = await findInputEdges(ctx.db, [found.job.id]);
  return presentJob(ctx, found, edges.get(found.job.id) ?? []);
}
