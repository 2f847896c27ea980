import { z } from 'zod';

// Every piece of text a client sends (body fields, query and path parameters, headers) is one of
// these schemas, so three rules hold everywhere and the OpenAPI document states them:
// - no NUL character: Postgres text cannot hold U+0000, so it is refused at the edge as a 422
//   naming the field, never a 500 from the database;
// - lengths count Unicode code points, as JSON Schema's minLength and maxLength do (JavaScript's
//   `length` counts UTF-16 units, so an emoji would count twice);
// - "blank" means only characters of BLANK_CHARACTERS, one explicit class instead of `\s`, whose
//   meaning differs between JavaScript and the regex engines of other clients and fuzzers.

/** Whitespace by JavaScript's `\s` and by Python's `str.isspace()`, written out. */
const BLANK_CHARACTERS = '\\t\\n\\v\\f\\r \\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

const NUL_FREE = '^[^\\u0000]*$';
const NUL_FREE_NOT_BLANK = `^[^\\u0000]*[^\\u0000${BLANK_CHARACTERS}][^\\u0000]*$`;
const BLANK_EDGES = new RegExp(`^[${BLANK_CHARACTERS}]+|[${BLANK_CHARACTERS}]+$`, 'g');

export interface TextRules {
  /** Longest accepted, in code points. */
  max: number;
  /** Shortest accepted, in code points (default 0). */
  min?: number;
  /** Refuse text made only of blank characters (an empty string included). */
  notBlank?: boolean;
  /**
   * A stricter shape than "no NUL" (it must exclude NUL itself), for text with a syntax: ids,
   * ratios, header tokens. Stated in the OpenAPI document as the field's pattern.
   */
  pattern?: { regex: RegExp; message: string };
}

/** Client text under the shared rules; the returned schema carries them into the OpenAPI document. */
export function text(rules: TextRules): z.ZodString {
  const min = rules.min ?? 0;
  const pattern = rules.pattern ?? (rules.notBlank ? { regex: new RegExp(NUL_FREE_NOT_BLANK), message: 'must not be empty' } : undefined);
  let schema = z.string().regex(new RegExp(NUL_FREE), { message: 'must not contain NUL (\\u0000) characters', abort: true });
  if (pattern) schema = schema.regex(pattern.regex, { message: pattern.message, abort: true });
  // Only the pattern that decides is documented: zod lists one pattern per string in the document.
  const documented = pattern?.regex.source ?? NUL_FREE;
  return schema
    .refine((value) => codePoints(value) >= min, { message: min === 1 ? 'must not be empty' : `must be at least ${min} characters`, abort: true })
    .refine((value) => codePoints(value) <= rules.max, { message: `must be at most ${rules.max} characters` })
    .meta({ pattern: documented, ...(min > 0 ? { minLength: min } : {}), maxLength: rules.max });
}

/** Client text that is stored trimmed, after the rules were checked on what the client sent. */
export function trimmedText(rules: Omit<TextRules, 'pattern'>) {
  return text({ ...rules, notBlank: true }).transform(trimBlankEdges);
}

/** The text without blank characters (the same class as "blank" above) at either end. */
export function trimBlankEdges(value: string): string {
  return value.replace(BLANK_EDGES, '');
}

/** An http(s) URL that RFC 3986 and WHATWG's URL parser agree on: no spaces, no stray `%`. */
export function httpUrl(max: number) {
  return text({
    max,
    min: 1,
    pattern: {
      regex: /^[hH][tT][tT][pP][sS]?:\/\/(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/,
      message: 'must be an http or https URL',
    },
  })
    .refine((value) => URL.canParse(value), { message: 'must be an http or https URL' })
    .meta({ format: 'uri' });
}

/**
 * A whole number sent as text (a query parameter), read only from what JSON Schema calls an
 * integer: `Number()` alone would also take "", " 7", "0x10" and "1e3" (and "" as 0).
 */
export function integerParameter(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^-?(0|[1-9][0-9]*)(\.0+)?$/.test(value) ? Number(value) : value),
    z.number().int().min(min).max(max),
  );
}

/** An Idempotency-Key: 1 to 255 printable ASCII characters (no spaces). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+$/;

/** RFC 3339 as JSON Schema's `date-time` means it; upper-case `T` and `Z` only, as most clients write it. */
const TIMESTAMP = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?(Z|[+-]([0-9]{2}):([0-9]{2}))$/;

/**
 * A timestamp parameter (RFC 3339 with an offset), read as the ISO string of the instant. Every
 * field is range-checked (JavaScript's Date would roll February 30 over into March). A leap second
 * (`:60`, which RFC 3339 allows) counts as the last millisecond of its minute.
 */
export function timestampText() {
  return text({ max: 40, min: 1, pattern: { regex: TIMESTAMP, message: 'must be an RFC 3339 timestamp with an offset, e.g. 2026-01-31T00:00:00Z' } })
    .meta({ format: 'date-time' })
    .transform((value, ctx) => {
      const instant = timestampInstant(value);
      if (instant === undefined) {
        ctx.addIssue({ code: 'custom', message: 'is not a valid date and time' });
        return z.NEVER;
      }
      return new Date(instant).toISOString();
    });
}

function timestampInstant(value: string): number | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leapYear = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, leapYear ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  const offsetHours = Number(match[9] ?? 0);
  const offsetMinutes = Number(match[10] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const fraction = match[7] ? Number(match[7]) : 0;
  const local = new Date(Date.UTC(2000, month - 1, day, hour, minute, Math.min(second, 59), second === 60 ? 999 : Math.floor(fraction * 1000)));
  // Date.UTC reads years below 100 as 19xx; the year is set on its own.
  local.setUTCFullYear(year, month - 1, day);
  const sign = match[8]?.startsWith('-') ? -1 : 1;
  return local.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}
