import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import * as schema from './schema.ts';

export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Either the database or an open transaction: repositories accept both so verbs compose them. */
export type Executor = Database | Transaction;
export type SqlClient = postgres.Sql;

export interface DatabaseHandle {
  db: Database;
  sql: SqlClient;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Connections in this process's pool. */
  maxConnections?: number;
  /** Name shown in pg_stat_activity, so an operator can tell API, worker and sweeper apart. */
  applicationName?: string;
  /**
   * Commit without waiting for the WAL flush. Only for work that is safe to lose in a crash and
   * redo, like the Postgres queue's deliveries and acks (at-least-once; consumers are idempotent).
   */
  asynchronousCommit?: boolean;
  /**
   * Named prepared statements (default on). Off behind a transaction-pooling proxy (RDS Proxy),
   * where a statement prepared on one server connection may be run on another, and where
   * preparing pins the client to one connection.
   */
  preparedStatements?: boolean;
  /**
   * The server cancels a statement running longer than this (SQLSTATE 57014, answered as 503), so
   * no request holds a connection or a lock for long. Maintenance work may raise it.
   */
  statementTimeoutMs?: number;
  /**
   * Send the session settings in each connection's start-up message (default). Off behind RDS
   * Proxy, whose InitQuery sets them (SESSION_SETTINGS_SQL), since start-up options would pin.
   */
  sessionSettingsAtStartup?: boolean;
}

/**
 * How long to wait for a connection to the database. A dead server refuses at once; this bounds
 * the wait for one that does not answer at all (a network partition, a failover).
 */
export const CONNECT_TIMEOUT_SECONDS = 5;
/**
 * Seconds before a pool connection that failed tries again: doubling from 50 ms, at most 1 s.
 * postgres.js's own backoff grows with every failure in the pool up to 20 s, and queries wait
 * for it: after an outage of a few seconds, requests would hang that long with the database
 * back. With this bound a request waits at most about a second before it is answered (a 503
 * while the database is down), and the pool is back within a second of the database.
 */
export function reconnectDelaySeconds(failures: number): number {
  return Math.min(0.05 * 2 ** failures, 1);
}
/**
 * Every session's timeouts: a statement running longer than 15 s is cancelled (far above any
 * request's queries, well below a client's patience), and a transaction left open by a stuck
 * process is ended after 30 s, releasing its locks.
 */
export const SESSION_SETTINGS = { statement_timeout: 15_000, idle_in_transaction_session_timeout: 30_000 } as const;
/** SESSION_SETTINGS as SQL, for a connection proxy that runs it on each new connection. */
export const SESSION_SETTINGS_SQL = Object.entries(SESSION_SETTINGS)
  .map(([name, value]) => `SET ${name} = ${value}`)
  .join('; ');

export function connectDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const sql = postgres(url, {
    max: options.maxConnections ?? 10,
    idle_timeout: 30,
    prepare: options.preparedStatements ?? true,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    backoff: reconnectDelaySeconds,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? 'kontext',
      ...(options.sessionSettingsAtStartup === false
        ? {}
        : { ...SESSION_SETTINGS, statement_timeout: options.statementTimeoutMs ?? SESSION_SETTINGS.statement_timeout }),
      ...(options.asynchronousCommit ? { synchronous_commit: 'off' } : {}),
    },
  });
  const db = drizzle(sql, { schema });
  return {
    db,
    sql,
    // Callers close the pool after their work has stopped; a second is plenty for stragglers, and a
    // dead database (queries waiting on reconnects that will not come) must not hold a shutdown.
    close: () => sql.end({ timeout: 1 }),
  };
}
