import postgres from 'postgres';

/** A short-lived SQL client on a test database, closed after `use`. */
export async function withSql<T>(databaseUrl: string, use: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  try {
    return await use(sql);
  } finally {
    await sql.end();
  }
}

export interface TenantMoney {
  available: number;
  reserved: number;
  activeJobs: number;
  ledgerSum: number;
}

/** A tenant's balances, active slots and ledger sum, read in one statement. */
export async function tenantMoney(sql: postgres.Sql, tenantId: string): Promise<TenantMoney> {
  const [row] = await sql<{ available: string; reserved: string; active: number; ledger: string }[]>`
    SELECT credits_available::text AS available, credits_reserved::text AS reserved, active_jobs AS active,
           (SELECT COALESCE(sum(amount), 0) FROM credit_ledger WHERE tenant_id = ${tenantId})::text AS ledger
    FROM tenants WHERE id = ${tenantId}`;
  if (!row) throw new Error(`no tenant ${tenantId}`);
  return { available: Number(row.available), reserved: Number(row.reserved), activeJobs: row.active, ledgerSum: Number(row.ledger) };
}

/** Ledger entries of one job, as `kind:amount` strings in order. */
export async function jobLedger(sql: postgres.Sql, jobId: string): Promise<string[]> {
  const rows = await sql<{ kind: string; amount: string }[]>`
    SELECT kind::text, amount::text FROM credit_ledger WHERE job_id = ${jobId} ORDER BY id`;
  return rows.map((row) => `${row.kind}:${row.amount}`);
}

/**
 * Samples a query in a tight loop until stopped, for invariants that must hold "at any sampled
 * instant" while concurrent work runs.
 */
export function sampleWhile<T>(sql: postgres.Sql, read: (sql: postgres.Sql) => Promise<T>): { stop: () => Promise<T[]> } {
  const samples: T[] = [];
  let running = true;
  const loop = (async () => {
    while (running) samples.push(await read(sql));
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}
