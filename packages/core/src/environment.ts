import type { z } from 'zod';

/** Configuration that failed validation; the message lists every variable at fault. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Validates a process's environment against its schema. Blank variables count as unset, so
 * `FOO= npm start` falls back to the default rather than failing on an empty string. Throws a
 * ConfigurationError naming every variable at fault (never its value: some are secrets).
 */
export function parseEnvironment<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
  what = 'configuration',
): z.infer<Schema> {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(blanksRemoved);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n  ');
    throw new ConfigurationError(`invalid ${what}:\n  ${problems}`);
  }
  return parsed.data;
}
