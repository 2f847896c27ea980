import { isId, type JobRecord, type JobStatus } from '@kontext/core';
import { findInputEdges, listTenantJobs } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { presentJob } from './present-job.ts';

export interface ListJobsInput {
  auth: AuthenticatedPrincipal;
  limit: number;
  cursor?: string | undefined;
  status?: JobStatus | undefined;
  model?: string | undefined;
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  root?: string | undefined;
  /** Only jobs submitted with this API key. */
  apiKeyId?: string | undefined;
}

/** The tenant's jobs, newest first; `next_cursor` continues where a page stopped. */
export async function listJobs({ ctx, input }: VerbArgs<ListJobsInput>): Promise<{ data: JobRecord[]; next_cursor: string | null }> {
  requireScope(input.auth, 'jobs:read');
  const rows = await listTenantJobs(ctx.db, {
    tenantId: input.auth.tenantId,
    before: input.cursor && isId('job', input.cursor) ? input.cursor : undefined,
    status: input.status,
    model: input.model,
    createdAfter: input.createdAfter ? new Date(input.createdAfter) : undefined,
    createdBefore: input.createdBefore ? new Date(input.createdBefore) : undefined,
    rootJobId: input.root,
    apiKeyId: input.apiKeyId,
    limit: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  const edges = await findInputEdges(
    ctx.db,
    page.map((row) => row.job.id),
  );
  const data = await Promise.all(page.map((row) => presentJob(ctx, row, edges.get(row.job.id) ?? [])));
  return { data, next_cursor: rows.length > input.limit ? (page.at(-1)?.job.id ?? null) : null };
}
