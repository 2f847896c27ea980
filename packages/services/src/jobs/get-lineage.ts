import { bflStatusOf, ProblemError, type LineageNodeRecord, type LineageResponse } from '@kontext/core';
import { findInputEdges, findLineageJobs, type LineageJob } from '@kontext/db';
import { requireScope, type AuthenticatedPrincipal } from '../auth/principal.ts';
import type { VerbArgs } from '../context.ts';
import { signedUrlOf } from '../assets/signed-url-of.ts';
import { findOwnJob } from './find-own-job.ts';

/**
 * A job's lineage: the chain of ancestors from its root, and every descendant as a tree. Every job
 * of a chain carries its root's id, so the whole tree is one indexed read, assembled here.
 */
export async function getLineage({ ctx, input }: VerbArgs<{ auth: AuthenticatedPrincipal; jobId: string }>): Promise<LineageResponse> {
  requireScope(input.auth, 'jobs:read');
  const job = await findOwnJob(ctx, input.auth, input.jobId);

  const rows = await findLineageJobs(ctx.db, job.tenantId, job.rootJobId);
  const edges = await findInputEdges(
    ctx.db,
    rows.map((row) => row.id),
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const childrenOf = new Map<string, LineageJob[]>();
  for (const row of rows) {
    if (row.parentJobId) childrenOf.set(row.parentJobId, [...(childrenOf.get(row.parentJobId) ?? []), row]);
  }

  const node = async (row: LineageJob, withChildren: boolean): Promise<LineageNodeRecord> => ({
    id: row.id,
    parent_job_id: row.parentJobId,
    depth: row.depth,
    prompt: row.prompt,
    status: row.status,
    bfl_status: bflStatusOf(row.status),
    model: row.model,
    created_at: row.createdAt.toISOString(),
    output_asset_id: row.outputAssetId,
    output_expired: row.outputDeletedAt !== null,
    thumbnail_url: row.outputDeletedAt ? null : await signedUrlOf(ctx, row.thumbnailKey),
    references: (edges.get(row.id) ?? [])
      .filter((edge) => edge.role === 'reference')
      .map((edge) => ({ asset_id: edge.assetId, position: edge.position, producing_job_id: edge.producingJobId })),
    children: withChildren ? await Promise.all((childrenOf.get(row.id) ?? []).map((child) => node(child, true))) : [],
  });

  const ancestors: LineageJob[] = [];
  for (let parent = job.parentJobId ? byId.get(job.parentJobId) : undefined; parent; parent = parent.parentJobId ? byId.get(parent.parentJobId) : undefined) {
    ancestors.unshift(parent);
  }
  const self = byId.get(job.id);
  if (!self) throw new ProblemError('not_found', `no job ${input.jobId}`);
  return {
    job_id: job.id,
    root_job_id: job.rootJobId,
    ancestors: await Promise.all(ancestors.map((row) => node(row, false))),
    tree: await node(self, true),
  };
}
