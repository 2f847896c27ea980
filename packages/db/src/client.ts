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
}

export function connectDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const sql = postgres(url, {
    max: options.maxConnections ?? 10,
    idle_timeout: 30,
    prepare: options.preparedStatements ?? true,
    connect_timeout: 10,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? 'kontext',
      ...(options.asynchronousCommit ? { synchronous_commit: 'off' } : {}),
    },
  });
  const db = drizzle(sql, { schema });
  return {
    db,
    sql,
    close: () => sql.end({ timeout: 5 }),
  };
}
