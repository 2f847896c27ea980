import { isId, ProblemError } from '@kontext/core';
import { findJob, type JobRow } from '@kontext/db';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';
import type { ServiceContext } from '../context.ts';

/** The caller's tenant's job, or 404: another tenant's job is indistinguishable from a missing one. */
export async function findOwnJob(ctx: ServiceContext, auth: AuthenticatedPrincipal, jobId: string): Promise<JobRow> {
  const job = isId('job', jobId) ? await findJob(ctx.db, jobId) : undefined;
  if (!job || job.tenantId !== auth.tenantId) throw new ProblemError('not_found', `no job ${jobId}`);
  return job;
}
