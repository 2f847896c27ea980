import type { z } from 'zod';

/** Configuration that failed validation; the message lists every variable at fault. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Validates a process's environment against its schema. Blank variables count as unset, so
 * `FOO= npm start` falls back to the default rather than failing on an empty string. A failure
 * names every variable at fault, never its value (some are secrets).
 */
export function checkEnvironment<Schema extends z.ZodType>(
  schema: Schema,
  env: Readonly<Record<string, string | undefined>>,
  what = 'configuration',
): { ok: true; config: z.infer<Schema> } | { ok: false; message: string } {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(blanksRemoved);
  if (parsed.success) return { ok: true, config: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n  ');
  return { ok: false, message: `invalid ${what}:\n  ${problems}` };
}

/** checkEnvironment for loaders that throw: a ConfigurationError on failure. */
export function parseEnvironment<Schema extends z.ZodType>(
  schema: Schema,
  env: Readonly<Record<string, string | undefined>>,
  what = 'configuration',
): z.infer<Schema> {
  const checked = checkEnvironment(schema, env, what);
  if (!checked.ok) throw new ConfigurationError(checked.message);
  return checked.config;
}
