// How numbers, times and statuses read on the pages. Pure: no DOM; one locale for all of them.

const LOCALE = 'en-US';

const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });

/** Credits as people read amounts: 12,345 or 12.5 (1 credit = $0.01). */
export function formatCredits(credits: number): string {
  return Number.isInteger(credits) ? integer.format(credits) : decimal.format(credits);
}

/** Credits in dollars: 1 credit is one US cent. */
export function formatDollars(credits: number): string {
  return new Intl.NumberFormat(LOCALE, { style: 'currency', currency: 'USD' }).format(credits / 100);
}

export function formatCount(n: number): string {
  return integer.format(n);
}

/** A share 0..1 as a percentage with at most one decimal; an em dash when unknown. */
export function formatPercent(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return '—';
  const percent = share * 100;
  const digits = percent === 100 || percent === 0 || percent >= 99.95 || percent < 0.05 ? 0 : 1;
  return `${percent.toFixed(digits)}%`;
}

/** A latency: 850 ms, 1.2 s, 2 min 5 s; an em dash when unknown. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/** A moment as a short UTC date and time: `2 Dec 2025, 14:05 UTC`. */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return `${new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'UTC' }).format(date)} UTC`;
}

/** How long ago (or until) a moment, relative to `now`: `3 minutes ago`, `in 2 days`, `never`. */
export function formatRelative(iso: string | null, now: Date): string {
  if (!iso) return 'never';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return '—';
  const seconds = Math.round((then - now.getTime()) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  const format = new Intl.RelativeTimeFormat(LOCALE, { numeric: 'auto' });
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  return Math.abs(seconds) < 45 ? 'just now' : format.format(seconds, 'second');
}

/** A job status as words: `request_moderated` → `request moderated`. */
export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

/** How a key reads in a list: its prefix, an ellipsis, its last four characters. */
export function maskedKey(key: { prefix: string; last_four: string }): string {
  return `${key.prefix}…${key.last_four}`;
}

/** A grace period in words: 0 → `at once`, 3600 → `1 hour`, 86400 → `24 hours`, 604800 → `7 days`. */
export function formatGrace(seconds: number): string {
  if (seconds === 0) return 'at once';
  if (seconds % 86_400 === 0 && seconds >= 7 * 86_400) return plural(seconds / 86_400, 'day');
  if (seconds % 3_600 === 0) return plural(seconds / 3_600, 'hour');
  if (seconds % 60 === 0) return plural(seconds / 60, 'minute');
  return plural(seconds, 'second');
}

export function plural(n: number, unit: string): string {
  return `${formatCount(n)} ${unit}${n === 1 ? '' : 's'}`;
}
