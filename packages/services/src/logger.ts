// Structured JSON logs, one line per event. Callers pass ids and figures, never keys, secrets or
// image bytes: nothing in this module can redact what it was not given.

import { databaseErrorOf } from '@kontext/db';

/** Severity order; `LOG_LEVEL` (packages/settings) names the same levels, which the compiler checks where it is passed in. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(options: {
  level?: LogLevel;
  base?: LogFields;
  write?: (line: string) => void;
}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.base ?? {};
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LEVELS[level] < threshold) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

export const silentLogger: Logger = createLogger({ write: () => {} });

/**
 * An error as log fields. A database error is told by its SQLSTATE, the constraint, table or
 * column it names and its statement (placeholders only): never its message, which can echo a
 * bound value, nor drizzle's, which lists every parameter (a webhook secret, a prompt, a key hash).
 */
export function errorFields(error: unknown): LogFields {
  const database = databaseErrorOf(error);
  if (database) {
    return {
      error: describeError(error),
      errorName: error instanceof Error ? error.name : undefined,
      sqlState: database.code,
      statement: database.statement,
      constraint: database.constraint,
      table: database.table,
      column: database.column,
    };
  }
  if (error instanceof Error) return { error: error.message, errorName: error.name };
  return { error: String(error) };
}

/** A one-line account of an error that is safe to log or to store with a job. */
export function describeError(error: unknown): string {
  const database = databaseErrorOf(error);
  if (database) return database.unavailable ? `the database is unavailable (${database.code})` : `a database statement failed (SQLSTATE ${database.code})`;
  return error instanceof Error ? error.message : String(error);
}
