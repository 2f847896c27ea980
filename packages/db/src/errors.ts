// What a failed database call is, told without what was in it. A Postgres error's message can
// echo a bound value ("invalid input syntax for type integer: \"…\""), and drizzle's wrapper puts
// every bound parameter in its message; a log line must hold neither. What may be said: the
// SQLSTATE, the constraint, table and column it names, and the statement's text, whose values are
// all `$n` placeholders (parameterised SQL only).

/** postgres.js's own error codes for a connection that could not be made or was lost. */
const CONNECTION_CODES = new Set([
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATEs that say the database cannot serve now, not that the request was wrong: connection
 * exceptions (class 08), shutdown and start-up, too many connections, a statement or lock timeout,
 * and serialization failures and deadlocks (a retry succeeds).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '55P03', '40001', '40P01']);

export interface DatabaseErrorInfo {
  /** The SQLSTATE from the server, or postgres.js's code for a connection failure. */
  code: string;
  /** The database is unreachable, restarting, overloaded or timed out: retry later. */
  unavailable: boolean;
  /** The statement's text with its `$n` placeholders, shortened; never its parameters. */
  statement?: string;
  constraint?: string;
  table?: string;
  column?: string;
}

/** The database error in `error` or its causes, described safely; undefined if there is none. */
export function databaseErrorOf(error: unknown): DatabaseErrorInfo | undefined {
  // drizzle's wrapper names its statement; the database's error is its cause.
  let wrapped: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 6 && isObject(current); depth++) {
    const code = typeof current.code === 'string' ? current.code : undefined;
    if (code && current.name === 'PostgresError') {
      // A server error answers one statement, which postgres.js puts on it.
      const statement = wrapped ?? (typeof current.query === 'string' ? shorten(current.query) : undefined);
      return {
        code,
        unavailable: code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code),
        ...(statement ? { statement } : {}),
        ...optional('constraint', current.constraint_name),
        ...optional('table', current.table_name),
        ...optional('column', current.column_name),
      };
    }
    // postgres.js hands one connection error to every query queued on that connection, naming
    // one of them, so only a wrapper's statement is told.
    if (code && CONNECTION_CODES.has(code)) return { code, unavailable: true, ...(wrapped ? { statement: wrapped } : {}) };
    if (typeof current.query === 'string') wrapped ??= shorten(current.query);
    current = current.cause;
  }
  return undefined;
}

/** Whether this failure means "the database cannot serve now" (503, retry), not "the request was wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseErrorOf(error)?.unavailable ?? false;
}

/** A unique constraint refused the write (an insert that lost a race, or a duplicate of one that won). */
export function isUniqueViolation(error: unknown): boolean {
  return databaseErrorOf(error)?.code === '23505';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function optional(name: string, value: unknown): Record<string, string> {
  return typeof value === 'string' && value.length > 0 ? { [name]: value } : {};
}

function shorten(statement: string): string {
  const flat = statement.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}
