import {
  addHistograms,
  fieldProblem,
  histogramQuantileMs,
  USAGE_HISTOGRAM_BUCKETS,
  type UsageFigures,
  type UsageResponse,
} from '@kontext/core';
import { queryUsage, type UsageGroupBy, type UsageRow } from '@kontext/db';
import type { VerbArgs } from '../context.ts';

export interface GetUsageInput {
  /** One tenant's usage, or null for every tenant (operator). */
  tenantId: string | null;
  from?: string | undefined;
  to?: string | undefined;
  granularity: 'hour' | 'day';
  groupBy: UsageGroupBy;
  mode?: 'live' | 'test' | undefined;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** At most this many buckets per query: 31 days of hours, about 13 months of days. */
const MAX_BUCKETS = { hour: 31 * 24, day: 400 } as const;

/** A rollup row's figures, summed over groups and buckets. */
type Accumulator = Omit<UsageRow, 'bucketStart' | 'groupKey'>;

const empty = (): Accumulator => ({
  jobs: 0,
  startedJobs: 0,
  credits: 0,
  inputMegapixels: 0,
  outputMegapixels: 0,
  queueMsSum: 0,
  engineMsSum: 0,
  latencyHistogram: Array<number>(USAGE_HISTOGRAM_BUCKETS).fill(0),
});

function add(into: Accumulator, row: Accumulator): void {
  into.jobs += row.jobs;
  into.startedJobs += row.startedJobs;
  into.credits += row.credits;
  into.inputMegapixels += row.inputMegapixels;
  into.outputMegapixels += row.outputMegapixels;
  into.queueMsSum += row.queueMsSum;
  into.engineMsSum += row.engineMsSum;
  addHistograms(into.latencyHistogram, row.latencyHistogram);
}

function figures(acc: Accumulator): UsageFigures {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    jobs: acc.jobs,
    credits: acc.credits,
    input_mp: round(acc.inputMegapixels),
    output_mp: round(acc.outputMegapixels),
    // Over the jobs a worker started: a job canceled or timed out in the queue has no such times.
    avg_queue_ms: acc.startedJobs ? Math.round(acc.queueMsSum / acc.startedJobs) : null,
    avg_engine_ms: acc.startedJobs ? Math.round(acc.engineMsSum / acc.startedJobs) : null,
    p50_ms: histogramQuantileMs(acc.latencyHistogram, 0.5),
    p95_ms: histogramQuantileMs(acc.latencyHistogram, 0.95),
  };
}

/**
 * A usage time series from the rollups: every bucket in range (empty ones too), per group, with
 * totals. Buckets are whole UTC hours or days: `from` is rounded down and `to` up to bucket
 * boundaries, and the response states the range it covers.
 */
export async function getUsage({ ctx, input }: VerbArgs<GetUsageInput>): Promise<UsageResponse> {
  const step = input.granularity === 'hour' ? HOUR : DAY;
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - 7 * DAY);
  if (from.getTime() >= to.getTime()) throw fieldProblem('from', 'must be before `to`');
  // Buckets are aligned to UTC hours or days, like the rollups.
  const first = Math.floor(from.getTime() / step) * step;
  const bucketCount = Math.ceil((to.getTime() - first) / step);
  const end = first + bucketCount * step;
  if (bucketCount > MAX_BUCKETS[input.granularity]) {
    const advice = input.granularity === 'hour' ? 'narrow the range or use day granularity' : 'narrow the range';
    throw fieldProblem('from', `at most ${MAX_BUCKETS[input.granularity]} ${input.granularity} buckets per query; ${advice}`);
  }
  const rows = await queryUsage(ctx.db, {
    tenantId: input.tenantId,
    granularity: input.granularity,
    from: new Date(first),
    to: new Date(end),
    groupBy: input.groupBy,
    mode: input.mode ?? null,
  });

  const buckets = new Map<number, Map<string, Accumulator>>();
  for (const row of rows) {
    const groups = buckets.get(row.bucketStart.getTime()) ?? new Map<string, Accumulator>();
    const acc = groups.get(row.groupKey) ?? empty();
    add(acc, row);
    groups.set(row.groupKey, acc);
    buckets.set(row.bucketStart.getTime(), groups);
  }
  const total = empty();
  const series: UsageResponse['buckets'] = [];
  for (let i = 0; i < bucketCount; i++) {
    const start = first + i * step;
    const groups = buckets.get(start) ?? new Map<string, Accumulator>();
    const bucketTotal = empty();
    for (const acc of groups.values()) add(bucketTotal, acc);
    add(total, bucketTotal);
    series.push({
      start: new Date(start).toISOString(),
      totals: figures(bucketTotal),
      groups:
        input.groupBy === 'none'
          ? []
          : [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, acc]) => ({ key, ...figures(acc) })),
    });
  }
  return {
    granularity: input.granularity,
    from: new Date(first).toISOString(),
    to: new Date(end).toISOString(),
    group_by: input.groupBy,
    buckets: series,
    totals: figures(total),
  };
}
