import { usageLatencyBucket, USAGE_HISTOGRAM_BUCKETS } from '@kontext/core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/database.ts';
import { LATENCY_COLUMNS } from '../src/schema.ts';

// The database's usage_latency_bucket() (used by the accounting trigger) and @kontext/core's
// usageLatencyBucket() (used to read percentiles back) must agree everywhere.

let database: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = postgres(database.url, { max: 1 });
});

afterAll(async () => {
  await sql?.end();
  await database?.drop();
});

describe('latency buckets', () => {
  it('agree between SQL and TypeScript for every whole millisecond up to 10 minutes', async () => {
    // Latencies are whole milliseconds (the trigger rounds them), so every integer up to 10 minutes.
    const samples = Array.from({ length: 600_001 }, (_, ms) => ms);
    const rows = await sql<{ bucket: number }[]>`
      SELECT usage_latency_bucket(ms) AS bucket FROM unnest(${samples}::float8[]) WITH ORDINALITY AS t(ms, i) ORDER BY i`;
    const mismatches = samples.filter((ms, i) => rows[i]?.bucket !== usageLatencyBucket(ms));
    expect(mismatches).toEqual([]);
  });

  it('the rollup table has one column per bucket', () => {
    expect(LATENCY_COLUMNS).toHaveLength(USAGE_HISTOGRAM_BUCKETS);
    expect(LATENCY_COLUMNS[0]).toBe('lat_00');
    expect(LATENCY_COLUMNS.at(-1)).toBe('lat_79');
  });
});
