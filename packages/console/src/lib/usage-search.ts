// The Usage page's URL search parameters (`?range=30d&granularity=hour&group=key&mode=live`), read
// by the router's validateSearch. Pure and small: it is part of the first bundle (the router's).
// Anything unknown or malformed is dropped, so a mangled shared link opens the default view.

export const USAGE_RANGES = ['24h', '7d', '30d', '90d', 'custom'] as const;
export type UsageRange = (typeof USAGE_RANGES)[number];

export const USAGE_GRANULARITIES = ['hour', 'day'] as const;
export type UsageGranularity = (typeof USAGE_GRANULARITIES)[number];

export const USAGE_GROUPS = ['model', 'key', 'status', 'mode', 'none'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export const USAGE_MODES = ['live', 'test'] as const;
export type UsageMode = (typeof USAGE_MODES)[number];

export interface UsageSearch {
  range?: UsageRange;
  /** Custom range: the first UTC day, `YYYY-MM-DD`. */
  from?: string;
  /** Custom range: the last UTC day (included), `YYYY-MM-DD`. */
  to?: string;
  granularity?: UsageGranularity;
  group?: UsageGroup;
  mode?: UsageMode;
}

const oneOf = <T extends string>(values: readonly T[], value: unknown): T | undefined =>
  typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : undefined;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day `YYYY-MM-DD` that exists (no 2025-02-30), else undefined. */
export function utcDay(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DAY_PATTERN.exec(value);
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value ? value : undefined;
}

export function parseUsageSearch(raw: Record<string, unknown>): UsageSearch {
  const search: UsageSearch = {};
  const range = oneOf(USAGE_RANGES, raw.range);
  if (range) search.range = range;
  const from = utcDay(raw.from);
  if (from) search.from = from;
  const to = utcDay(raw.to);
  if (to) search.to = to;
  const granularity = oneOf(USAGE_GRANULARITIES, raw.granularity);
  if (granularity) search.granularity = granularity;
  const group = oneOf(USAGE_GROUPS, raw.group);
  if (group) search.group = group;
  const mode = oneOf(USAGE_MODES, raw.mode);
  if (mode) search.mode = mode;
  return search;
}
