import type { Database } from './client.ts';
import { LATENCY_COLUMNS } from './schema.ts';

// Reads of the usage rollups: per time bucket and group, sums and the merged latency histogram
// (one sum() per latency column, so a wide query ships one row per bucket and group).

export type UsageGroupBy = 'model' | 'key' | 'status' | 'mode' | 'none';

const GROUP_COLUMNS: Record<UsageGroupBy, string> = {
  model: 'model',
  key: 'api_key_id',
  status: 'outcome::text',
  mode: 'mode::text',
  none: "''",
};

export interface UsageRow {
  bucketStart: Date;
  groupKey: string;
  jobs: number;
  startedJobs: number;
  credits: number;
  inputMegapixels: number;
  outputMegapixels: number;
  queueMsSum: number;
  engineMsSum: number;
  latencyHistogram: number[];
}

export interface UsageQuery {
  /** One tenant, or every tenant (operator). */
  tenantId: string | null;
  granularity: 'hour' | 'day';
  from: Date;
  to: Date;
  groupBy: UsageGroupBy;
  mode: 'live' | 'test' | null;
}

export async function queryUsage(db: Database, query: UsageQuery): Promise<UsageRow[]> {
  const client = db.$client;
  // Both fragments come from constants in this file, never from input.
  const groupColumn = client.unsafe(GROUP_COLUMNS[query.groupBy]);
  const latencySums = client.unsafe(LATENCY_COLUMNS.map((column) => `sum(${column})::int AS ${column}`).join(', '));
  const rows = await client<
    ({
      bucket_start: string;
      group_key: string;
      jobs: string;
      started_jobs: string;
      credits: string;
      input_mp: number;
      output_mp: number;
      queue_ms_sum: string;
      engine_ms_sum: string;
    } & Record<string, number>)[]
  >`
    SELECT bucket_start::text AS bucket_start, ${groupColumn} AS group_key,
           sum(jobs)::text AS jobs, sum(started_jobs)::text AS started_jobs, sum(credits)::text AS credits,
           sum(input_mp)::float8 AS input_mp, sum(output_mp)::float8 AS output_mp, sum(queue_ms_sum)::text AS queue_ms_sum,
           sum(engine_ms_sum)::text AS engine_ms_sum, ${latencySums}
    FROM usage_rollups
    WHERE granularity = ${query.granularity}::usage_granularity
      AND bucket_start >= ${query.from.toISOString()}::timestamptz AND bucket_start < ${query.to.toISOString()}::timestamptz
      AND (${query.tenantId}::text IS NULL OR tenant_id = ${query.tenantId}::text)
      AND (${query.mode}::api_key_mode IS NULL OR mode = ${query.mode}::api_key_mode)
    GROUP BY 1, 2
    ORDER BY 1, 2`;
  return rows.map((row) => ({
    bucketStart: new Date(row.bucket_start),
    groupKey: row.group_key,
    jobs: Number(row.jobs),
    startedJobs: Number(row.started_jobs),
    credits: Number(row.credits),
    inputMegapixels: row.input_mp,
    outputMegapixels: row.output_mp,
    queueMsSum: Number(row.queue_ms_sum),
    engineMsSum: Number(row.engine_ms_sum),
    latencyHistogram: LATENCY_COLUMNS.map((column) => row[column] ?? 0),
  }));
}
