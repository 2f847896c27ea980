import { InvalidArgumentError } from 'commander';

// Option values checked where they are parsed, so a malformed one is a usage error (exit 2)
// before anything is sent. Whether a well-formed value is acceptable is the API's to say.

export function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number');
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new InvalidArgumentError('is too large');
  return parsed;
}

export function positiveInteger(value: string): number {
  const parsed = integer(value);
  if (parsed < 1) throw new InvalidArgumentError('must be 1 or more');
  return parsed;
}

export function decimalNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError('must be a number');
  return parsed;
}

/** For repeatable options: `--ref a --ref b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `a,b,c` (blanks around the commas ignored). */
export function commaList(value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new InvalidArgumentError('must name at least one value (comma-separated)');
  return items;
}

/** A date alone (`2025-01-31`) means its midnight UTC; anything else goes to the API as written (RFC 3339 with an offset). */
export function timestamp(value: string): string {
  const text = value.trim();
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
}
