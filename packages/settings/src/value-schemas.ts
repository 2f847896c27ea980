import { z } from 'zod';

// How variables' text is read. Numbers are coerced from their text; a blank variable never gets
// here (it counts as unset), so a default or "required" applies instead.

/** A switch: `true` or `false`; `1`/`0` and `yes`/`no` as well, as `npm start` has always taken. */
export const switchSchema = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A whole number within bounds (`max` omitted: no upper bound). */
export function wholeNumber(min: number, max?: number): z.ZodType<number> {
  const atLeast = z.coerce.number().int().min(min);
  return max === undefined ? atLeast : atLeast.max(max);
}

/** A number of seconds above zero, at most `max`. */
export function positiveSeconds(max: number): z.ZodType<number> {
  return z.coerce.number().positive().max(max);
}

/** A number of seconds from zero to `max` (fractions allowed). */
export function secondsUpTo(max: number): z.ZodType<number> {
  return z.coerce.number().min(0).max(max);
}

/** A TCP port; `0` allowed where the process picks a free one. */
export function portNumber(min: 0 | 1): z.ZodType<number> {
  return wholeNumber(min, 65535);
}

export const nonEmptyText = z.string().min(1);

export const urlText = z.url();

/** `WEBHOOK_RETRY_SCHEDULE`: comma-separated retry delays in seconds, read as a list. */
export const retryScheduleSchema = z
  .string()
  .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, 'comma-separated seconds, e.g. 5,300,1800')
  .transform((schedule) => schedule.split(',').map(Number));

/**
 * `CORS_ORIGINS`: comma-separated origins (`https://app.example.com`, scheme, host and port, no
 * path), or `*` for any origin; read as a list.
 */
export const originListSchema = z
  .string()
  .transform((list) => list.split(',').map((origin) => origin.trim()).filter((origin) => origin.length > 0))
  .pipe(
    z
      .array(
        z.union([
          z.literal('*'),
          z
            .string()
            .regex(/^https?:\/\/[^/\s?#]+$/, 'an origin: scheme and host (and port), no path, e.g. https://app.example.com')
            .max(200),
        ]),
      )
      .min(1)
      .max(100),
  );

/** Log levels, least severe first; `createLogger` takes the same names. */
export const logLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);
