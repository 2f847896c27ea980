import type { Credits, Usage } from '../api/types.ts';

// The overview's figures from one GET /v1/usage (this month, by day, grouped by status) and
// GET /v1/credits. Pure: `now` is given, so the same answer always reads the same.

/** 00:00 UTC of `now`'s day. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** 00:00 UTC of the first of `now`'s month. */
export function startOfUtcMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** The usage query the overview makes: month to date, one bucket per UTC day, by status. */
export function overviewUsageQuery(now: Date): { from: string; granularity: 'day'; group_by: 'status' } {
  return { from: startOfUtcMonth(now).toISOString(), granularity: 'day', group_by: 'status' };
}

export interface StatusCount {
  status: string;
  jobs: number;
}

export interface UsageSummary {
  monthCredits: number;
  todayCredits: number;
  monthJobs: number;
  todayJobs: number;
  /** Today's finished jobs by status, most first. */
  todayByStatus: StatusCount[];
  /** Succeeded among the month's finished jobs, 0..1; null when none finished. */
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Average credits a day this month (days so far, today included). */
  dailySpend: number;
}

export function summarizeUsage(usage: Usage, now: Date): UsageSummary {
  const today = startOfUtcDay(now).getTime();
  const todayBucket = usage.buckets.find((bucket) => Date.parse(bucket.start) === today);
  let succeeded = 0;
  for (const bucket of usage.buckets) for (const group of bucket.groups) if (group.key === 'succeeded') succeeded += group.jobs;
  const todayByStatus = (todayBucket?.groups ?? [])
    .filter((group) => group.jobs > 0)
    .map((group) => ({ status: group.key, jobs: group.jobs }))
    .sort((a, b) => b.jobs - a.jobs || a.status.localeCompare(b.status));
  const daysSoFar = Math.max(1, Math.round((today - startOfUtcMonth(now).getTime()) / 86_400_000) + 1);
  return {
    monthCredits: usage.totals.credits,
    todayCredits: todayBucket?.totals.credits ?? 0,
    monthJobs: usage.totals.jobs,
    todayJobs: todayBucket?.totals.jobs ?? 0,
    todayByStatus,
    successRate: usage.totals.jobs > 0 ? succeeded / usage.totals.jobs : null,
    p50Ms: usage.totals.p50_ms,
    p95Ms: usage.totals.p95_ms,
    dailySpend: usage.totals.credits / daysSoFar,
  };
}

/** Fewer days of credits than this at the month's rate is low. */
export const LOW_BALANCE_DAYS = 7;

export type BalanceWarning = { kind: 'empty' } | { kind: 'low'; daysLeft: number } | null;

/**
 * Whether to warn about the balance: none left to spend (new live jobs are refused), or less than
 * a week of it at this month's average daily spend. No warning for a tenant that spends nothing.
 */
export function balanceWarning(credits: Credits, dailySpend: number): BalanceWarning {
  if (credits.credits <= 0) return { kind: 'empty' };
  if (dailySpend <= 0) return null;
  const daysLeft = credits.credits / dailySpend;
  return daysLeft < LOW_BALANCE_DAYS ? { kind: 'low', daysLeft: Math.floor(daysLeft) } : null;
}

/** Live jobs queued or running, from the first page of each list (the API's lists stop at 100). */
export function activeJobsLabel(queued: { data: unknown[]; next_cursor: string | null }, running: { data: unknown[]; next_cursor: string | null }): string {
  const count = queued.data.length + running.data.length;
  return queued.next_cursor || running.next_cursor ? `${count}+` : String(count);
}
