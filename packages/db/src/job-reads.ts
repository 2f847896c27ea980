import { and, desc, eq, gte, inArray, lt } from 'drizzle-orm';
import type { Executor } from './client.ts';
import { assets, jobInputs, jobs } from './schema.ts';
import type { JobRow } from './job-transitions.ts';

// Reads of jobs: one job, its inputs, its lineage tree, and a tenant's filtered list.

export type NewJob = typeof jobs.$inferInsert;

export type JobInputRow = typeof jobInputs.$inferSelect;

export async function findJob(exec: Executor, jobId: string): Promise<JobRow | undefined> {
  const [row] = await exec.select().from(jobs).where(eq(jobs.id, jobId));
  return row;
}

export interface JobWithOutput {
  job: JobRow;
  outputStorageKey: string | null;
  outputDeletedAt: Date | null;
  thumbnailKey: string | null;
}

/** A tenant's job with its output's storage key; another tenant's job is simply not found. */
export async function findTenantJobWithOutput(
  exec: Executor,
  tenantId: string,
  jobId: string,
): Promise<JobWithOutput | undefined> {
  const [row] = await exec
    .select({ job: jobs, outputStorageKey: assets.storageKey, outputDeletedAt: assets.deletedAt, thumbnailKey: assets.thumbnailKey })
    .from(jobs)
    .leftJoin(assets, eq(assets.id, jobs.outputAssetId))
    .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, jobId)));
  return row;
}

export interface JobInputAsset {
  position: number;
  role: 'context' | 'reference';
  storageKey: string;
  format: 'png' | 'jpeg' | 'webp';
  width: number;
  height: number;
}

export async function findJobInputAssets(exec: Executor, jobId: string): Promise<JobInputAsset[]> {
  return exec
    .select({
      position: jobInputs.position,
      role: jobInputs.role,
      storageKey: assets.storageKey,
      format: assets.format,
      width: assets.width,
      height: assets.height,
    })
    .from(jobInputs)
    .innerJoin(assets, eq(assets.id, jobInputs.assetId))
    .where(eq(jobInputs.jobId, jobId))
    .orderBy(jobInputs.position);
}

export interface JobInputEdge {
  position: number;
  role: 'context' | 'reference';
  assetId: string;
  producingJobId: string | null;
  width: number;
  height: number;
  format: 'png' | 'jpeg' | 'webp';
  deletedAt: Date | null;
}

/** The lineage edges of some jobs: which assets each consumed, in order, with their role. */
export async function findInputEdges(exec: Executor, jobIds: string[]): Promise<Map<string, JobInputEdge[]>> {
  const edges = new Map<string, JobInputEdge[]>();
  if (jobIds.length === 0) return edges;
  const rows = await exec
    .select({
      jobId: jobInputs.jobId,
      position: jobInputs.position,
      role: jobInputs.role,
      assetId: jobInputs.assetId,
      producingJobId: assets.producingJobId,
      width: assets.width,
      height: assets.height,
      format: assets.format,
      deletedAt: assets.deletedAt,
    })
    .from(jobInputs)
    .innerJoin(assets, eq(assets.id, jobInputs.assetId))
    .where(inArray(jobInputs.jobId, jobIds))
    .orderBy(jobInputs.jobId, jobInputs.position);
  for (const { jobId, ...edge } of rows) edges.set(jobId, [...(edges.get(jobId) ?? []), edge]);
  return edges;
}

export interface LineageJob {
  id: string;
  parentJobId: string | null;
  depth: number;
  prompt: string;
  status: JobRow['status'];
  model: string;
  createdAt: Date;
  outputAssetId: string | null;
  outputDeletedAt: Date | null;
  thumbnailKey: string | null;
}

/** Every job of one lineage tree (one indexed read by root), for one tenant. */
export async function findLineageJobs(exec: Executor, tenantId: string, rootJobId: string): Promise<LineageJob[]> {
  return exec
    .select({
      id: jobs.id,
      parentJobId: jobs.parentJobId,
      depth: jobs.depth,
      prompt: jobs.prompt,
      status: jobs.status,
      model: jobs.model,
      createdAt: jobs.createdAt,
      outputAssetId: jobs.outputAssetId,
      outputDeletedAt: assets.deletedAt,
      thumbnailKey: assets.thumbnailKey,
    })
    .from(jobs)
    .leftJoin(assets, eq(assets.id, jobs.outputAssetId))
    .where(and(eq(jobs.rootJobId, rootJobId), eq(jobs.tenantId, tenantId)))
    .orderBy(jobs.id);
}

export interface JobListFilter {
  tenantId: string;
  /** Continue after this job id (ids sort by creation time). */
  before?: string | undefined;
  status?: JobRow['status'] | undefined;
  model?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  rootJobId?: string | undefined;
  /** Only jobs submitted with this API key. */
  apiKeyId?: string | undefined;
  limit: number;
}

/** A tenant's jobs, newest first, filtered; cursor by id. */
export async function listTenantJobs(exec: Executor, filter: JobListFilter): Promise<JobWithOutput[]> {
  return exec
    .select({ job: jobs, outputStorageKey: assets.storageKey, outputDeletedAt: assets.deletedAt, thumbnailKey: assets.thumbnailKey })
    .from(jobs)
    .leftJoin(assets, eq(assets.id, jobs.outputAssetId))
    .where(
      and(
        eq(jobs.tenantId, filter.tenantId),
        filter.before ? lt(jobs.id, filter.before) : undefined,
        filter.status ? eq(jobs.status, filter.status) : undefined,
        filter.model ? eq(jobs.model, filter.model) : undefined,
        filter.createdAfter ? gte(jobs.createdAt, filter.createdAfter) : undefined,
        filter.createdBefore ? lt(jobs.createdAt, filter.createdBefore) : undefined,
        filter.rootJobId ? eq(jobs.rootJobId, filter.rootJobId) : undefined,
        filter.apiKeyId ? eq(jobs.apiKeyId, filter.apiKeyId) : undefined,
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(filter.limit);
}
