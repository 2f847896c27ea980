import type { Usage, UsageQuery } from '../api/types.ts';
import { formatCount, formatCredits } from './format.ts';
import type { UsageGranularity, UsageGroup, UsageMode, UsageRange, UsageSearch } from './usage-search.ts';

// What the Usage page shows for its URL and one shared "now": the query (range, buckets, grouping,
// mode), the charts' rows and series, and the CSV of the same numbers. Pure: no DOM, no clock.

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const STEP: Record<UsageGranularity, number> = { hour: HOUR_MS, day: DAY_MS };

/** The API's limits (packages/services get-usage.ts): buckets per query, by granularity. */
export const MAX_BUCKETS: Record<UsageGranularity, number> = { hour: 744, day: 400 };

export const DEFAULT_RANGE: UsageRange = '7d';
export const DEFAULT_GROUP: UsageGroup = 'model';

export const RANGE_LABELS: Record<UsageRange, string> = { '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days', '90d': 'Last 90 days', custom: 'Custom' };
export const GROUP_LABELS: Record<UsageGroup, string> = { model: 'Model', key: 'API key', status: 'Status', mode: 'Mode', none: 'Nothing (totals)' };

/** Each preset's length, and the granularities it offers (the first is its default). */
const PRESETS: Record<Exclude<UsageRange, 'custom'>, { ms: number; granularities: UsageGranularity[] }> = {
  '24h': { ms: DAY_MS, granularities: ['hour'] },
  '7d': { ms: 7 * DAY_MS, granularities: ['day', 'hour'] },
  '30d': { ms: 30 * DAY_MS, granularities: ['day', 'hour'] },
  '90d': { ms: 90 * DAY_MS, granularities: ['day'] },
};

/** Buckets the API answers for [from, to): `from` rounded down to a whole bucket, `to` up (as get-usage.ts counts them). */
export function bucketCount(fromMs: number, toMs: number, granularity: UsageGranularity): number {
  const step = STEP[granularity];
  const first = Math.floor(fromMs / step) * step;
  return Math.ceil((toMs - first) / step);
}

/** The start of the bucket `ms` is in (UTC hours and days). */
export function bucketStart(ms: number, granularity: UsageGranularity): number {
  return Math.floor(ms / STEP[granularity]) * STEP[granularity];
}

export interface UsageView {
  range: UsageRange;
  granularity: UsageGranularity;
  group: UsageGroup;
  mode: UsageMode | undefined;
  /** Which granularities this range may use. */
  granularities: Record<UsageGranularity, boolean>;
  /** The custom range's days as the form shows them (the preset's own for a preset). */
  fromDay: string;
  toDay: string;
  /** The request, or null when the range cannot be asked for (`problem` says why). */
  query: (UsageQuery & { from: string; to: string; granularity: UsageGranularity; group_by: UsageGroup }) | null;
  problem: string | null;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The view a URL asks for at `now`. A preset is the last N hours or days up to the end of the
 * current bucket, so it always holds exactly N buckets, the current one last; a custom range is
 * whole UTC days, its last day included. A granularity the range cannot have falls back to the
 * range's default.
 */
export function usageView(search: UsageSearch, now: Date): UsageView {
  const range = search.range ?? DEFAULT_RANGE;
  const group = search.group ?? DEFAULT_GROUP;
  const mode = search.mode;
  const nowMs = now.getTime();
  if (range !== 'custom') {
    const preset = PRESETS[range];
    const granularity = search.granularity && preset.granularities.includes(search.granularity) ? search.granularity : preset.granularities[0]!;
    const step = STEP[granularity];
    const to = bucketStart(nowMs, granularity) + step;
    const from = to - preset.ms;
    return {
      range,
      granularity,
      group,
      mode,
      granularities: { hour: preset.granularities.includes('hour'), day: preset.granularities.includes('day') },
      fromDay: dayOf(from),
      toDay: dayOf(to - 1),
      query: queryOf(from, to, granularity, group, mode),
      problem: null,
    };
  }
  const today = bucketStart(nowMs, 'day');
  const fromDay = search.from ?? dayOf(today - 6 * DAY_MS);
  const toDay = search.to ?? dayOf(today);
  const from = Date.parse(`${fromDay}T00:00:00Z`);
  const to = Date.parse(`${toDay}T00:00:00Z`) + DAY_MS;
  const granularities = { hour: to > from && bucketCount(from, to, 'hour') <= MAX_BUCKETS.hour, day: to > from && bucketCount(from, to, 'day') <= MAX_BUCKETS.day };
  const granularity: UsageGranularity = search.granularity === 'hour' && granularities.hour ? 'hour' : 'day';
  const base = { range, granularity, group, mode, granularities, fromDay, toDay };
  if (to <= from) return { ...base, query: null, problem: 'The first day is after the last day.' };
  if (!granularities[granularity]) {
    return { ...base, query: null, problem: `At most ${MAX_BUCKETS.day} days at a time: choose a shorter range.` };
  }
  return { ...base, query: queryOf(from, to, granularity, group, mode), problem: null };
}

function queryOf(from: number, to: number, granularity: UsageGranularity, group: UsageGroup, mode: UsageMode | undefined): NonNullable<UsageView['query']> {
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    granularity,
    group_by: group,
    ...(mode ? { mode } : {}),
  };
}

export type UsageMetric = 'jobs' | 'credits' | 'output_mp';

export const METRICS: { metric: UsageMetric; title: string; unit: string }[] = [
  { metric: 'jobs', title: 'Jobs', unit: 'jobs' },
  { metric: 'credits', title: 'Credits', unit: 'credits' },
  { metric: 'output_mp', title: 'Megapixels generated', unit: 'megapixels' },
];

const megapixels = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** How each metric's numbers read, in the charts and the tables alike. */
export const METRIC_FORMAT: Record<UsageMetric, (value: number) => string> = {
  jobs: formatCount,
  credits: formatCredits,
  output_mp: (value) => megapixels.format(value),
};

/** The series key of the whole (ungrouped) figures. */
export const TOTAL_SERIES = 'total';

export interface ChartRow {
  /** The bucket's start, ISO 8601. */
  start: string;
  /** Each series' value in this bucket (0 where the bucket has none of it), and the bucket's total. */
  values: Record<string, number>;
  total: number;
}

export interface ChartData {
  /** Series keys (group keys, or `total` when ungrouped), largest over the range first. */
  series: string[];
  rows: ChartRow[];
  total: number;
}

/** One metric of an answer as chart rows: every bucket, every series (zeros included). */
export function chartData(usage: Usage, metric: UsageMetric): ChartData {
  const sums = new Map<string, number>();
  if (usage.group_by === 'none') sums.set(TOTAL_SERIES, usage.totals[metric]);
  else for (const bucket of usage.buckets) for (const group of bucket.groups) sums.set(group.key, (sums.get(group.key) ?? 0) + group[metric]);
  const series = [...sums.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([key]) => key);
  const rows = usage.buckets.map((bucket): ChartRow => {
    const values: Record<string, number> = Object.fromEntries(series.map((key) => [key, 0]));
    if (usage.group_by === 'none') values[TOTAL_SERIES] = bucket.totals[metric];
    else for (const group of bucket.groups) values[group.key] = group[metric];
    return { start: bucket.start, values, total: bucket.totals[metric] };
  });
  return { series, rows, total: usage.totals[metric] };
}

const HOUR_FORMAT = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'UTC' });
const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const FULL_DAY_FORMAT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A bucket as an axis tick: `14:00` (hours; the day at midnight) or `2 Jun` (days). */
export function tickLabel(iso: string, granularity: UsageGranularity): string {
  const date = new Date(iso);
  if (granularity === 'day') return DAY_FORMAT.format(date);
  return date.getUTCHours() === 0 ? DAY_FORMAT.format(date) : HOUR_FORMAT.format(date);
}

/** A bucket as a table row reads: `2 Jun 2025, 14:00–15:00 UTC` or `2 Jun 2025`. */
export function bucketLabel(iso: string, granularity: UsageGranularity): string {
  const date = new Date(iso);
  if (granularity === 'day') return FULL_DAY_FORMAT.format(date);
  const end = new Date(date.getTime() + HOUR_MS);
  return `${FULL_DAY_FORMAT.format(date)}, ${HOUR_FORMAT.format(date)}–${HOUR_FORMAT.format(end)} UTC`;
}

/** The range an answer covers, in words: `1 Jun 2025 – 7 Jun 2025 (UTC)`. */
export function coveredRange(usage: Pick<Usage, 'from' | 'to' | 'granularity'>): string {
  const from = new Date(usage.from);
  const lastStart = new Date(Date.parse(usage.to) - STEP[usage.granularity]);
  if (usage.granularity === 'day') {
    const first = FULL_DAY_FORMAT.format(from);
    const last = FULL_DAY_FORMAT.format(lastStart);
    return first === last ? `${first} (UTC)` : `${first} – ${last} (UTC)`;
  }
  return `${FULL_DAY_FORMAT.format(from)}, ${HOUR_FORMAT.format(from)} – ${FULL_DAY_FORMAT.format(new Date(usage.to))}, ${HOUR_FORMAT.format(new Date(usage.to))} UTC`;
}

/**
 * One CSV field: numbers as they are; text quoted when it holds a comma, quote or line break,
 * and text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) made inert
 * with a leading apostrophe.
 */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
}

export const CSV_COLUMNS = ['bucket_start', 'group', 'jobs', 'credits', 'output_megapixels'] as const;

/**
 * The answer as CSV, one row per bucket and series (the charts' numbers: zeros included), in the
 * charts' order; `group` is the API's group key (`total` when ungrouped). CRLF line ends (RFC 4180).
 */
export function usageCsv(usage: Usage): string {
  const jobs = chartData(usage, 'jobs');
  const credits = chartData(usage, 'credits');
  const megapixels = chartData(usage, 'output_mp');
  const lines = [CSV_COLUMNS.join(',')];
  jobs.rows.forEach((row, index) => {
    for (const key of jobs.series) {
      lines.push(
        [row.start, key, row.values[key] ?? 0, credits.rows[index]?.values[key] ?? 0, megapixels.rows[index]?.values[key] ?? 0].map(csvField).join(','),
      );
    }
  });
  return `${lines.join('\r\n')}\r\n`;
}

const stamp = (iso: string, granularity: UsageGranularity) => (granularity === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 13)}h`);

/**
 * The CSV's file name: range, covered buckets, granularity, grouping and mode, e.g.
 * `kontext-usage-7d-2025-06-01-to-2025-06-07-daily-by-model.csv` or
 * `kontext-usage-24h-2025-06-06T15h-to-2025-06-07T14h-hourly-by-key-live.csv`.
 */
export function usageCsvFileName(view: Pick<UsageView, 'range' | 'mode'>, usage: Pick<Usage, 'from' | 'to' | 'granularity' | 'group_by'>): string {
  const last = new Date(Date.parse(usage.to) - STEP[usage.granularity]).toISOString();
  const grouping = usage.group_by === 'none' ? 'totals' : `by-${usage.group_by}`;
  const parts = ['kontext-usage', view.range, stamp(usage.from, usage.granularity), 'to', stamp(last, usage.granularity), usage.granularity === 'day' ? 'daily' : 'hourly', grouping];
  if (view.mode) parts.push(view.mode);
  return `${parts.join('-')}.csv`;
}
